"""Command-line subcommands. Each module defines ``register(subparsers)`` and sets a
``handler(args) -> int`` default on the parsers it adds. Shared helpers live in ``_common``."""
