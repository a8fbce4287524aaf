"""``python -m analysis read FILE [--format NAME] [--out TABLE.parquet] [--json]``, and for a
table no reader recognises, the generic reader's options: ``--format csv --map
test_time_second=COLUMN --map voltage_volt=COLUMN --map current_ampere=COLUMN [--unit
current_ampere=mA] [--delimiter ';'] [--header-row N] [--decimal-comma] [--current-sign -1]
[--counters step]`` (see :mod:`analysis.readers.generic_csv`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from analysis.cli._common import emit_json, fail
from analysis.readers import ParseError, read


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("read", help="parse an instrument file into the canonical table")
    p.add_argument("file", type=Path)
    p.add_argument("--format", help="reader name; detected from the content when omitted")
    p.add_argument("--out", type=Path, help="write the canonical table as Parquet (zstd)")
    p.add_argument("--json", action="store_true", help="print format, rows, columns, warnings")
    g = p.add_argument_group("generic CSV reader (--format csv)")
    g.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="CANONICAL=COLUMN",
        help="canonical column (test_time_second, voltage_volt, current_ampere, cycle_count, "
        "charging_capacity_ah, ...) = the file's column",
    )
    g.add_argument(
        "--unit",
        action="append",
        default=[],
        metavar="CANONICAL=UNIT",
        help="e.g. current_ampere=mA",
    )
    g.add_argument("--delimiter", help="field delimiter (default: from the header line)")
    g.add_argument("--header-row", type=int, help="1-based line of the header")
    g.add_argument(
        "--decimal-comma",
        action="store_true",
        default=None,
        help="numbers written 3,7 (default: found from the rows)",
    )
    g.add_argument("--current-sign", type=int, choices=(1, -1), help="-1: positive discharges")
    g.add_argument("--counters", choices=("cumulative", "step"), help="how capacities count")
    p.set_defaults(handler=_run)


def _pairs(values: list[str], option: str) -> dict[str, str]:
    out = {}
    for pair in values:
        key, eq, value = pair.partition("=")
        if not eq or not key.strip() or not value:
            raise ValueError(f"{option}: expected CANONICAL=VALUE, found {pair!r}")
        out[key.strip()] = value
    return out


def reader_options(args: argparse.Namespace) -> dict[str, Any]:
    """The generic reader's options the user gave (none: the reader's defaults)."""
    options: dict[str, Any] = {}
    if args.map:
        options["mapping"] = _pairs(args.map, "--map")
    if args.unit:
        options["units"] = _pairs(args.unit, "--unit")
    for name in ("delimiter", "header_row", "decimal_comma", "current_sign", "counters"):
        value = getattr(args, name)
        if value is not None:
            options[name] = value
    return options


def _run(args: argparse.Namespace) -> int:
    try:
        options = reader_options(args)
        if options and args.format is None:
            args.format = "csv"
        result = read(args.file, format=args.format, **options)
    except (ParseError, ValueError) as exc:
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
