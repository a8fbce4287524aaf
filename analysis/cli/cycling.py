"""``python -m analysis cycling FILE --cell-type half|full [--area-cm2 A] [--json]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli._common import emit_json, fail
from analysis.cycling import analyze_cycling
from analysis.readers import ParseError, read


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "cycling",
        help="per-cycle capacities, coulombic efficiency, retention and short circuits",
        description="Keys of the JSON output: docs/metrics-cycling.md.",
    )
    p.add_argument("file", type=Path)
    p.add_argument("--cell-type", required=True, choices=("half", "full"))
    p.add_argument("--area-cm2", type=float, help="electrode area (cm2) for areal values")
    p.add_argument(
        "--one-c-mA-cm2",
        type=float,
        dest="one_c",
        help="the protocol's 1C as a current density (mA/cm2; needs --area-cm2) for C-rates",
    )
    p.add_argument("--format", help="reader name; detected from the content when omitted")
    p.add_argument("--json", action="store_true", help="print cycles, metrics, short circuits")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        parsed = read(args.file, format=args.format)
        result = analyze_cycling(
            parsed.table,
            cell_type=args.cell_type,
            area_cm2=args.area_cm2,
            one_c_current_density_mA_cm2=args.one_c,
        )
    except (ParseError, ValueError) as exc:
        return fail(exc)
    payload = result.to_dict()
    payload["file"] = parsed.source_name
    payload["format"] = parsed.format
    payload["warnings"] = [*parsed.warnings, *result.warnings]
    if args.json:
        emit_json(payload)
        return 0
    m = result.metrics
    print(f"{parsed.source_name}: {parsed.format}, {len(parsed.table)} rows, {args.cell_type} cell")
    first, second = (
        ("plating", "stripping") if args.cell_type == "half" else ("charge", "discharge")
    )
    print(f"{'cycle':>5} {first + ' mAh':>14} {second + ' mAh':>14} {'CE':>8}")
    for row in result.cycles.itertuples(index=False):
        q1 = getattr(row, f"{first}_capacity_mAh")
        q2 = getattr(row, f"{second}_capacity_mAh")
        print(f"{row.cycle:>5} {q1:>14.6g} {q2:>14.6g} {row.coulombic_efficiency:>8.5f}")
    for key in (
        "initial_coulombic_efficiency",
        "average_coulombic_efficiency",
        "cumulative_coulombic_efficiency",
        "capacity_retention",
        "short_circuit_cycle",
        "failure_mode",
        "cycle_life",
        "total_time_h",
    ):
        print(f"{key}: {m.get(key)}")
    for w in payload["warnings"]:
        print(f"warning: {w}")
    return 0
