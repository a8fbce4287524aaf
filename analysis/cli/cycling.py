"""``python -m analysis cycling FILE --cell-type half|full [--area-cm2 A] [--one-c-mA-cm2 J]
[--cutoffs LOWER,UPPER] [--ce-window FIRST,LAST] [--formation-cycles N] [--reference-cycle N]
[--capacity-source S] [--current-sign S] [--method cycle|reservoir] [--rules R1,R2]
[--param NAME=VALUE ...] [--json]``: the cycling pipeline on a file.

Every option is a pipeline parameter of the same name as in the API (``--param`` reaches the
others, e.g. ``--param ce_short_tolerance=0.02 --param noise_factor=8``); ``python -m analysis
pipelines`` lists them all with units and defaults."""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING, Any

from analysis.cli._common import add_pipeline_parser, fail, finish, given, run_pipeline
from analysis.cycling.parameters import CyclingParameters
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
    p.add_argument(
        "--cutoffs",
        type=_pair(float),
        metavar="LOWER,UPPER",
        help="the protocol's voltage limits (V): lower_cutoff_V, upper_cutoff_V; 'none' infers one",
    )
    p.add_argument(
        "--ce-window",
        type=_pair(int),
        metavar="FIRST,LAST",
        help="average_ce_first_cycle, average_ce_last_cycle ('none': the last before a short)",
    )
    p.add_argument("--formation-cycles", type=int, help="formation_cycles (default: detected)")
    p.add_argument("--reference-cycle", type=int, help="reference_cycle of the retention")
    p.add_argument(
        "--capacity-source", choices=("auto", "counters", "integration"), help="capacity_source"
    )
    p.add_argument(
        "--current-sign", choices=("auto", "as_recorded", "reversed"), help="current_sign"
    )
    p.add_argument(
        "--method",
        choices=("cycle", "reservoir"),
        help="ce_method: cycle, or reservoir (Adams et al. 2018; half cells)",
    )
    p.add_argument(
        "--rules",
        type=lambda text: [r.strip() for r in text.split(",") if r.strip()],
        help="short_circuit_rules, comma-separated (default: by cell type)",
    )
    p.epilog = _other_parameters()
    p.set_defaults(handler=_run)


#: parameters that have an option of their own above
_OPTIONS = {
    "cell_type", "area_cm2", "one_c_current_density_mA_cm2", "lower_cutoff_V", "upper_cutoff_V",
    "average_ce_first_cycle", "average_ce_last_cycle", "formation_cycles", "reference_cycle",
    "capacity_source", "current_sign", "ce_method", "short_circuit_rules",
}  # fmt: skip


def _other_parameters() -> str:
    """Every other parameter of the pipeline with its default, for ``--param NAME=VALUE``."""
    rest = [
        f"{f.name}={getattr(CyclingParameters(), f.name)}"
        for f in dataclasses.fields(CyclingParameters)
        if f.name not in _OPTIONS
    ]
    return (
        "The other parameters, with their API names and defaults (None: by cell type or "
        "inferred), set with --param NAME=VALUE (short-circuit thresholds among them; units "
        "and meaning: python -m analysis pipelines): " + ", ".join(rest) + "."
    )


def _pair(kind: type) -> Any:
    """``A,B`` as two values of ``kind`` (``none`` for either is left to the default)."""

    def parse(text: str) -> tuple[Any, Any]:
        parts = [part.strip() for part in text.split(",")]
        if len(parts) != 2:
            raise argparse.ArgumentTypeError(f"expected two comma-separated values, found {text!r}")
        return tuple(None if part.lower() in ("", "none") else kind(part) for part in parts)  # type: ignore[return-value]

    return parse


def _run(args: argparse.Namespace) -> int:
    params = given(
        args,
        cell_type="cell_type",
        area_cm2="area_cm2",
        one_c="one_c_current_density_mA_cm2",
        formation_cycles="formation_cycles",
        reference_cycle="reference_cycle",
        capacity_source="capacity_source",
        current_sign="current_sign",
        method="ce_method",
        rules="short_circuit_rules",
    )
    for option, names in (
        ("cutoffs", ("lower_cutoff_V", "upper_cutoff_V")),
        ("ce_window", ("average_ce_first_cycle", "average_ce_last_cycle")),
    ):
        values = getattr(args, option, None)
        if values is not None:
            params.update({n: v for n, v in zip(names, values, strict=True) if v is not None})
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
