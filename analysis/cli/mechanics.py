"""``python -m analysis peel|scratch|indentation|cv FILE [--json]``: mechanical tests and CV,
each through its pipeline (:mod:`analysis.pipelines`).

* ``peel FILE --width-mm W``: peel strength over the automatic plateau (gf/mm, N/m).
* ``scratch FILE [--section 0-0.5 --section 1.5-2.0]``: depth per section, critical loads.
* ``indentation FILE``: Oliver-Pharr hardness, reduced modulus, elastic recovery, eta_IT,
  C_IT and R_IT of each indent (and their mean over an array).
* ``dqdv FILE --cell-type half|full``: dQ/dV and dV/dQ of every half-cycle and the dQ/dV peaks.
* ``cv FILE``: cathodic and anodic peaks of a ``cv`` table or a cycler's ``cycling`` table
  (BioLogic ``.mpr``/``.mpt``).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from analysis.cli._common import add_pipeline_parser, fail, finish, given, run_pipeline
from analysis.readers import ParseError

if TYPE_CHECKING:
    from analysis.cli._common import SubParsers


def register(sub: SubParsers) -> None:
    p = add_pipeline_parser(sub, "peel", "180-degree peel strength over the steady-state plateau")
    p.add_argument("--width-mm", type=float, required=True, help="specimen width in mm")
    p.add_argument("--lead-mm", type=float, help="mm of the peel left out at its start (5)")
    p.add_argument("--tail-mm", type=float, help="mm of the peel left out at its end (3)")
    p.set_defaults(handler=_peel)

    p = add_pipeline_parser(sub, "scratch", "scratch depth per section and critical load")
    p.add_argument(
        "--section",
        action="append",
        type=_section,
        metavar="START-END",
        help="distance section in mm, repeatable (default 0-0.5 and 1.5-2.0)",
    )
    p.set_defaults(handler=_scratch)

    p = add_pipeline_parser(sub, "indentation", "Oliver-Pharr hardness and reduced modulus")
    p.add_argument(
        "--fit-range",
        type=float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        help="unloading fit range as fractions of the maximum load (default 0.5 1.0)",
    )
    p.add_argument(
        "--fit-floor",
        type=float,
        help="lowest fraction the fit range is widened to on a noisy curve (0.2; LOW: never)",
    )
    p.add_argument("--epsilon", type=float, help="tip geometry factor (0.75)")
    p.add_argument("--beta", type=float, help="tip shape correction (1.0)")
    p.add_argument(
        "--area-coefficients", type=float, nargs="+", metavar="C", help="C0 C1 ... (24.5)"
    )
    p.add_argument(
        "--frame-compliance-nm-per-mN", type=float, help="load-frame compliance (nm/mN, 0)"
    )
    p.add_argument(
        "--drift-rate-nm-per-s",
        type=float,
        help="thermal drift (nm/s) when the file has no hold at low load to measure it",
    )
    p.set_defaults(handler=_indentation)

    p = add_pipeline_parser(sub, "cv", "cyclic voltammetry peaks (cathodic and anodic)")
    p.add_argument(
        "--min-prominence", type=float, help="prominence as a fraction of max |current| (0.03)"
    )
    p.add_argument(
        "--scan-rate-mV-per-s", type=float, help="scan rate for peak charges without time"
    )
    p.add_argument("--cycle", type=int, help="print this cycle's peaks only")
    p.set_defaults(handler=_cv)

    p = add_pipeline_parser(sub, "dqdv", "dQ/dV and dV/dQ of every half-cycle, with dQ/dV peaks")
    p.add_argument("--cell-type", choices=("half", "full"), required=True)
    p.add_argument("--bin-V", type=float, help="voltage bin width of dQ/dV (0.005)")
    p.add_argument("--smooth-V", type=float, help="Gaussian smoothing sd of dQ/dV (0.01)")
    p.add_argument(
        "--noise-factor", type=float, help="peak prominence in sd of the dQ/dV noise (5; 0: off)"
    )
    p.add_argument("--cycle", type=int, help="print this cycle's peaks only")
    p.set_defaults(handler=_dqdv)


def _section(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in text.split("-", 1))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected START-END in mm, e.g. 0-0.5, found {text!r}"
        ) from None
    return lo, hi


def _peel(args: argparse.Namespace) -> int:
    params = given(
        args,
        width_mm="sample_width_mm",
        lead_mm="lead_mm",
        tail_mm="tail_mm",
    )
    try:
        source, result = run_pipeline("peel", args, params)
    except (ParseError, ValueError) as exc:
        return fail(exc)
    r = result.detail
    return finish(
        args,
        source,
        result,
        [
            f"peel strength {r.peel_strength_gf_per_mm:.3g} gf/mm ({r.peel_strength_N_per_m:.4g} N/m)"
            f" +- {r.peel_strength_sd_gf_per_mm:.2g} gf/mm",
            f"plateau {r.plateau_start_mm:.3g}-{r.plateau_end_mm:.3g} mm, {r.plateau_points} points",
            *(f"warning: {w}" for w in r.warnings),
        ],
    )


def _scratch(args: argparse.Namespace) -> int:
    params = {"sections_mm": [list(s) for s in args.section]} if args.section else {}
    try:
        source, result = run_pipeline("scratch", args, params)
    except (ParseError, ValueError) as exc:
        return fail(exc)
    r = result.detail
    lines = [
        "critical load "
        + (
            f"{r.critical_load_mN:.4g} mN at {r.critical_distance_mm:.3g} mm"
            if r.critical_load_mN is not None and r.critical_distance_mm is not None
            else "not reached (no depth jump)"
        )
    ]
    for s in r.sections:
        depth = "no points" if s.mean_depth_um is None else f"mean depth {s.mean_depth_um:.3g} um"
        lines.append(f"section {s.start_mm:g}-{s.end_mm:g} mm: {depth}")
    return finish(args, source, result, lines)


def _indentation(args: argparse.Namespace) -> int:
    params = given(
        args,
        fit_range="fit_range",
        fit_floor="fit_floor",
        epsilon="epsilon",
        beta="beta",
        area_coefficients="area_coefficients",
        frame_compliance_nm_per_mN="frame_compliance_nm_mN",
        drift_rate_nm_per_s="drift_rate_nm_s",
    )
    try:
        source, result = run_pipeline("indentation", args, params)
    except (ParseError, ValueError) as exc:
        return fail(exc)
    lines = []
    for k, r in enumerate(result.detail.indents, start=1):
        lines += [
            f"indent {k}: h_max {r.max_depth_nm:.4g} nm at P {r.max_load_mN:.4g} mN, "
            f"residual {r.residual_depth_nm:.4g} nm, elastic recovery {r.elastic_recovery:.3f}",
            f"  H {r.hardness_GPa:.4g} GPa, E_r {r.reduced_modulus_GPa:.4g} GPa, "
            f"eta_IT {r.eta_IT_percent:.3g} %, C_IT {r.creep_C_IT_percent:.3g} %, "
            f"R_IT {r.relaxation_R_IT_percent:.3g} %, drift {r.drift_rate_nm_per_s:.3g} nm/s "
            f"({r.drift_source})",
            f"  unloading fit {r.fit_range[0]:g}-{r.fit_range[1]:g} of P, stiffness standard "
            f"error {r.stiffness_se_percent:.2g} %",
        ]
    if len(result.detail.indents) > 1:
        s = result.summary
        lines.append(
            f"mean of {s['indent_count']}: H {s['hardness_GPa']:.4g} +- "
            f"{s['hardness_GPa_sd']:.2g} GPa, E_r {s['reduced_modulus_GPa']:.4g} +- "
            f"{s['reduced_modulus_GPa_sd']:.2g} GPa"
        )
    lines += [f"warning: {w}" for w in result.warnings]
    return finish(args, source, result, lines)


def _cv(args: argparse.Namespace) -> int:
    params = given(
        args, min_prominence="min_prominence_fraction", scan_rate_mV_per_s="scan_rate_mV_s"
    )
    try:
        source, result = run_pipeline("cv", args, params)
    except (ParseError, ValueError) as exc:
        return fail(exc)
    peaks = [p for p in result.summary["peaks"] if args.cycle is None or p["cycle"] == args.cycle]
    lines = [
        f"{p['direction']:9s} {p['potential_V']:.3f} V  {p['current_mA']:.4g} mA"
        f"  (sweep {p['sweep']}, cycle {p['cycle']})"
        for p in peaks
    ]
    lines += [
        f"plating at the vertex (sweep {p['sweep']}): onset {p['onset_V']:.3f} V, "
        f"{p['vertex_current_mA']:.4g} mA at {p['vertex_V']:.3f} V"
        for p in result.summary["plating"]
        if args.cycle is None or p["cycle"] == args.cycle
    ]
    return finish(args, source, result, lines or ["no peaks"])


def _dqdv(args: argparse.Namespace) -> int:
    params = given(
        args, cell_type="cell_type", bin_V="bin_V", smooth_V="smooth_V", noise_factor="noise_factor"
    )
    try:
        source, result = run_pipeline("dqdv", args, params)
    except (ParseError, ValueError) as exc:
        return fail(exc)
    peaks = result.tables["dqdv_peaks"]
    if args.cycle is not None:
        peaks = peaks[peaks["cycle"] == args.cycle]
    lines = [
        f"half-cycle {r.half_cycle} (cycle {r.cycle}, {r.kind}): {r.voltage_V:.4f} V, "
        f"{r.dq_dv_mAh_per_V:.4g} mAh/V"
        for r in peaks.itertuples()
    ]
    return finish(args, source, result, lines or ["no dQ/dV peaks"])
