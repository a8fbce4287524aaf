"""Command line: ``python -m analysis <command> FILE ...``, no database needed.

Each module of :mod:`analysis.cli` adds its commands through ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import pkgutil
import sys

from analysis import __version__, cli
from analysis.lazy import import_in_background
from analysis.runtime import keep_freed_memory, small_pages_for_arrays


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of ``command`` alone (its module is the only one
    imported: a cycling file is read without importing the EIS or mechanics commands)."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis", description="labdb analyses on instrument files"
    )
    parser.add_argument("--version", action="version", version=f"labdb-analysis {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    if command in cli.COMMANDS:
        names = [cli.COMMANDS[command]]
    else:
        names = sorted(i.name for i in pkgutil.iter_modules(cli.__path__) if i.name[0] != "_")
    for name in names:
        importlib.import_module(f"{cli.__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None, *, freeze_imports: bool = False) -> int:
    """Run the command of ``argv``. ``freeze_imports``, for a process of its own (``python -m
    analysis``), not for a caller's:

    - pandas is imported in a thread of its own (:func:`analysis.lazy.import_in_background`)
      while this one builds the parser, detects the file's format and has Arrow parse it with
      the GIL released: nothing on that way needs pandas (:mod:`analysis.lazy`), so on a
      machine with a free core the ~0.25 s of its import no longer adds to the command's time;
    - the cyclic garbage collector is off while the command's modules are imported and never
      looks at their objects again (``gc.freeze``): the imports (pandas' above all) made about
      160 collections, 0.06-0.07 s of CPU of the cycling command on a 1M-row file, for objects
      that live as long as the process.
    """
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv and not argv[0].startswith("-") else None
    if not freeze_imports:
        return _run(build_parser(command), argv)
    gc.disable()
    ahead = None
    if command in cli.COMMANDS:  # every command reads or lists with pandas
        # numpy and pyarrow first, here: the thread then imports pandas' own modules only,
        # none of which this thread imports (two threads importing one module wait in turn).
        import pyarrow.csv  # noqa: F401

        ahead = import_in_background("pandas", enable_gc=True)
    try:
        try:
            parser = build_parser(command)
        finally:
            gc.freeze()
            if ahead is None:
                gc.enable()
        return _run(parser, argv)
    finally:
        if ahead is not None:
            ahead.join()  # done by now on the way of a command; not on --help or an error


def _run(parser: argparse.ArgumentParser, argv: list[str]) -> int:
    args = parser.parse_args(argv)
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    # The command is a process of its own: it reuses freed blocks and fills its arrays in
    # ordinary pages (see analysis.runtime). Not in main(), so that a program calling main()
    # keeps its own allocator settings.
    keep_freed_memory()
    small_pages_for_arrays()
    status = main(freeze_imports=True)
    # Ends without tearing the interpreter down: freeing a million-row table's objects and the
    # imported modules one by one took 0.1-0.14 s of CPU of a ~2.3 s command (bench/readers.py).
    # Nothing is left to clean up: the output is flushed here, temporary files are removed by
    # their context managers, and no command registers atexit work. (An exception or argparse's
    # exit takes the normal way out.)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
