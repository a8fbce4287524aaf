"""Command line: ``python -m analysis <command> FILE ...``, no database needed.

Each module of :mod:`analysis.cli` adds its commands through ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from analysis import __version__, cli
from analysis.runtime import keep_freed_memory


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis", description="labdb analyses on instrument files"
    )
    parser.add_argument("--version", action="version", version=f"labdb-analysis {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for info in sorted(pkgutil.iter_modules(cli.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{cli.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    # The command is a process of its own: it reuses freed blocks (see analysis.runtime). Not
    # in main(), so that a program calling main() keeps its own allocator settings.
    keep_freed_memory()
    sys.exit(main())
