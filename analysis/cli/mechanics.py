"""``python -m analysis peel|scratch|indentation|cv FILE [--json]``: mechanical tests and CV.

* ``peel FILE --width-mm W``: peel strength over the automatic plateau (gf/mm, N/m).
* ``scratch FILE [--section 0-0.5 --section 1.5-2.0]``: depth per section, critical load.
* ``indentation FILE``: Oliver-Pharr hardness, reduced modulus, elastic recovery.
* ``cv FILE``: cathodic and anodic peaks of a ``cv`` table or a cycler's ``cycling`` table
  (BioLogic ``.mpr``/``.mpt``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from analysis import mechanics, voltammetry
from analysis.cli._common import emit_json, fail
from analysis.readers import ParseError, ReadResult, read

if TYPE_CHECKING:
    _Sub: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


def register(sub: _Sub) -> None:
    p = _parser(sub, "peel", "180-degree peel strength over the steady-state plateau")
    p.add_argument("--width-mm", type=float, required=True, help="specimen width in mm")
    p.add_argument(
        "--lead-fraction",
        type=float,
        default=0.2,
        help="share of the peeling span excluded at its start (default 0.2)",
    )
    p.add_argument(
        "--tail-fraction",
        type=float,
        default=0.1,
        help="share of the peeling span excluded at its end (default 0.1)",
    )
    p.set_defaults(handler=_peel)

    p = _parser(sub, "scratch", "scratch depth per section and critical load")
    p.add_argument(
        "--section",
        action="append",
        type=_section,
        metavar="START-END",
        help="distance section in mm, repeatable (default 0-0.5 and 1.5-2.0)",
    )
    p.set_defaults(handler=_scratch)

    p = _parser(sub, "indentation", "Oliver-Pharr hardness and reduced modulus")
    p.add_argument(
        "--fit-range",
        type=float,
        nargs=2,
        default=(0.5, 1.0),
        metavar=("LOW", "HIGH"),
        help="unloading fit range as fractions of the maximum load (default 0.5 1.0)",
    )
    p.add_argument("--epsilon", type=float, default=0.75, help="tip geometry factor (0.75)")
    p.add_argument("--beta", type=float, default=1.0, help="tip shape correction (1.0)")
    p.add_argument(
        "--area-coefficients",
        type=float,
        nargs="+",
        default=list(mechanics.BERKOVICH_AREA),
        metavar="C",
        help="area function C0 C1 ... in nm (default 24.5)",
    )
    p.set_defaults(handler=_indentation)

    p = _parser(sub, "cv", "cyclic voltammetry peaks (cathodic and anodic)")
    p.add_argument(
        "--min-prominence",
        type=float,
        default=0.03,
        help="peak prominence as a fraction of the largest |current| (default 0.03)",
    )
    p.add_argument(
        "--scan-rate-mV-per-s",
        type=float,
        help="scan rate for peak charges when the file has no time column",
    )
    p.add_argument("--cycle", type=int, help="report this cycle only")
    p.set_defaults(handler=_cv)


def _parser(sub: _Sub, name: str, help_text: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("file", type=Path)
    p.add_argument("--format", help="reader name; detected from the content when omitted")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    return p


def _section(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in text.split("-", 1))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected START-END in mm, e.g. 0-0.5, found {text!r}"
        ) from None
    return lo, hi


def _load(args: argparse.Namespace, kinds: tuple[str, ...]) -> ReadResult:
    result = read(args.file, format=args.format)
    if result.kind not in kinds:
        raise ParseError(
            f"the file holds {result.kind} data (read as {result.format})",
            file=args.file,
            expected=" or ".join(f"{k} data" for k in kinds),
            found=result.kind,
        )
    return result


def _emit(
    args: argparse.Namespace, source: ReadResult, payload: dict[str, Any], lines: list[str]
) -> int:
    if args.json:
        emit_json({"file": source.source_name, "format": source.format, **payload})
    else:
        print(f"{source.source_name} ({source.format})")
        for line in lines:
            print(f"  {line}")
    for w in source.warnings:
        if not args.json:
            print(f"warning: {w}")
    return 0


def _peel(args: argparse.Namespace) -> int:
    try:
        src = _load(args, ("peel",))
        t = src.table
        r = mechanics.peel_strength(
            t["displacement_mm"],
            t["force_N"],
            width_mm=args.width_mm,
            lead_fraction=args.lead_fraction,
            tail_fraction=args.tail_fraction,
        )
    except (ParseError, ValueError) as exc:
        return fail(exc)
    return _emit(
        args,
        src,
        r.to_json(),
        [
            f"peel strength {r.peel_strength_gf_per_mm:.3g} gf/mm ({r.peel_strength_N_per_m:.4g} N/m)"
            f" +- {r.peel_strength_sd_gf_per_mm:.2g} gf/mm",
            f"plateau {r.plateau_start_mm:.3g}-{r.plateau_end_mm:.3g} mm, {r.plateau_points} points",
        ],
    )


def _scratch(args: argparse.Namespace) -> int:
    try:
        src = _load(args, ("scratch",))
        t = src.table
        r = mechanics.scratch_analysis(
            t["distance_mm"],
            t["normal_load_mN"],
            t["depth_um"],
            t["residual_depth_um"] if "residual_depth_um" in t.columns else None,
            sections=args.section or ((0.0, 0.5), (1.5, 2.0)),
        )
    except (ParseError, ValueError) as exc:
        return fail(exc)
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
    return _emit(args, src, r.to_json(), lines)


def _indentation(args: argparse.Namespace) -> int:
    try:
        src = _load(args, ("indentation",))
        t = src.table
        r = mechanics.oliver_pharr(
            t["depth_nm"],
            t["load_mN"],
            fit_range=tuple(args.fit_range),
            epsilon=args.epsilon,
            beta=args.beta,
            area_coefficients=args.area_coefficients,
        )
    except (ParseError, ValueError) as exc:
        return fail(exc)
    return _emit(
        args,
        src,
        r.to_json(),
        [
            f"h_max {r.max_depth_nm:.4g} nm, residual {r.residual_depth_nm:.4g} nm, "
            f"elastic recovery {r.elastic_recovery:.3f}",
            f"H {r.hardness_GPa:.4g} GPa, E_r {r.reduced_modulus_GPa:.4g} GPa",
        ],
    )


def _cv(args: argparse.Namespace) -> int:
    try:
        src = _load(args, ("cv", "cycling"))
        table = src.table
        data = voltammetry.cv_data(table)
        r = voltammetry.cv_peaks(
            data,
            min_prominence_fraction=args.min_prominence,
            scan_rate_mV_per_s=args.scan_rate_mV_per_s,
        )
    except (ParseError, ValueError) as exc:
        return fail(exc)
    payload = r.to_json()
    if args.cycle is not None:
        payload["peaks"] = [p for p in payload["peaks"] if p["cycle"] == args.cycle]
    lines = [
        f"{p['direction']:9s} {p['potential_V']:.3f} V  {p['current_mA']:.4g} mA"
        f"  (sweep {p['sweep']}, cycle {p['cycle']})"
        for p in payload["peaks"]
    ]
    return _emit(args, src, payload, lines or ["no peaks"])
