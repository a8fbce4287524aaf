"""``python -m analysis cycling FILE --cell-type half|full [--area-cm2 A] [--one-c-mA-cm2 J]
[--param NAME=VALUE ...] [--json]``: the cycling pipeline on a file."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from analysis.cli._common import add_pipeline_parser, fail, finish, given, run_pipeline
from analysis.readers import ParseError

if TYPE_CHECKING:
    from analysis.cli._common import SubParsers

SUMMARY_METRICS = (
    "initial_coulombic_efficiency",
    "average_coulombic_efficiency",
    "cumulative_coulombic_efficiency",
    "capacity_retention",
    "short_circuit_cycle",
    "failure_mode",
    "cycle_life",
    "total_time_h",
)


def register(sub: SubParsers) -> None:
    p = add_pipeline_parser(
        sub, "cycling", "per-cycle capacities, coulombic efficiency, retention and short circuits"
    )
    p.description = "Keys of the JSON output: docs/metrics-cycling.md."
    p.add_argument("--cell-type", required=True, choices=("half", "full"))
    p.add_argument("--area-cm2", type=float, help="electrode area (cm2) for areal values")
    p.add_argument(
        "--one-c-mA-cm2",
        type=float,
        dest="one_c",
        help="the protocol's 1C as a current density (mA/cm2; needs --area-cm2) for C-rates",
    )
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    params = given(
        args,
        cell_type="cell_type",
        area_cm2="area_cm2",
        one_c="one_c_current_density_mA_cm2",
    )
    try:
        source, result = run_pipeline("cycling", args, params)
    except (ParseError, ValueError) as exc:
        return fail(exc)
    first, second = (
        ("plating", "stripping") if args.cell_type == "half" else ("charge", "discharge")
    )
    lines = [f"{'cycle':>5} {first + ' mAh':>14} {second + ' mAh':>14} {'CE':>8}"]
    for row in result.tables["cycles"].itertuples(index=False):
        q1 = getattr(row, f"{first}_capacity_mAh")
        q2 = getattr(row, f"{second}_capacity_mAh")
        lines.append(f"{row.cycle:>5} {q1:>14.6g} {q2:>14.6g} {row.coulombic_efficiency:>8.5f}")
    metrics = result.summary["metrics"]
    lines += [f"{key}: {metrics.get(key)}" for key in SUMMARY_METRICS]
    return finish(args, source, result, lines)
