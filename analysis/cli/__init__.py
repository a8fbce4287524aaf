"""Command-line subcommands. Each module defines ``register(subparsers)`` and sets a
``handler(args) -> int`` default on the parsers it adds. Shared helpers live in ``_common``.

:data:`COMMANDS` says which module holds each command, so that ``python -m analysis read``
imports the read command's module only (not the EIS, mechanics or pipeline commands')."""

#: command -> module of this package that registers it
COMMANDS = {
    "read": "read",
    "cycling": "cycling",
    "eis": "eis",
    "kk": "eis",
    "drt": "eis",
    "peel": "mechanics",
    "scratch": "mechanics",
    "indentation": "mechanics",
    "cv": "mechanics",
    "dqdv": "mechanics",
    "pipelines": "pipelines",
}
