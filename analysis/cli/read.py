"""``python -m analysis read FILE [--format NAME] [--out TABLE.parquet] [--json]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli._common import emit_json, fail
from analysis.readers import ParseError, read


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("read", help="parse an instrument file into the canonical table")
    p.add_argument("file", type=Path)
    p.add_argument("--format", help="reader name; detected from the content when omitted")
    p.add_argument("--out", type=Path, help="write the canonical table as Parquet (zstd)")
    p.add_argument("--json", action="store_true", help="print format, rows, columns, warnings")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        result = read(args.file, format=args.format)
    except ParseError as exc:
        return fail(exc)
    if args.out:
        result.table.to_parquet(args.out, compression="zstd", index=False)
    if args.json:
        emit_json(result.summary())
    else:
        print(f"{result.source_name}: {result.format}, {len(result.table)} rows")
        for w in result.warnings:
            print(f"warning: {w}")
    return 0
