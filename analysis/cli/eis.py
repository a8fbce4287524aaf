"""``python -m analysis eis FILE [--circuit STR] [--initial-guess v1,v2,...]
[--weighting none|modulus|proportional] [--area-cm2 A] [--param NAME=VALUE ...] [--json]``;
``python -m analysis kk FILE [--c 0.85] [--tolerance 0.025] [--fit-type complex|real|imag]``
and ``python -m analysis drt FILE``. All three run the EIS pipeline (the same one a labdb job
runs); ``kk`` and ``drt`` print its lin-KK and DRT parts."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from analysis.cli._common import (
    add_pipeline_parser,
    emit_json,
    fail,
    finish,
    given,
    run_pipeline,
)
from analysis.readers import ParseError

if TYPE_CHECKING:
    from analysis.cli._common import SubParsers

WEIGHTINGS = ("none", "modulus", "proportional")


def register(sub: SubParsers) -> None:
    p = add_pipeline_parser(
        sub, "eis", "fit an equivalent circuit to every spectrum of an EIS file"
    )
    p.add_argument("--circuit", help="impedance.py circuit, e.g. 'R0-p(R1,CPE1)-p(R2,CPE2)'")
    p.add_argument("--initial-guess", help="comma-separated values of the free parameters")
    p.add_argument("--weighting", choices=WEIGHTINGS)
    p.add_argument("--area-cm2", type=float, help="cell area for ohm*cm2 results")
    p.set_defaults(handler=_run_eis)

    k = add_pipeline_parser(sub, "kk", "lin-KK (Kramers-Kronig) validation of each spectrum")
    k.add_argument("--c", type=float, help="mu cut-off (default 0.85, Schoenleber)")
    k.add_argument("--tolerance", type=float, help="accepted relative residual (default 0.025)")
    k.add_argument(
        "--fit-type",
        choices=("complex", "real", "imag"),
        help="fit the complex impedance (default) or, as impedance.py does, its real part",
    )
    k.set_defaults(handler=_run_kk)

    d = add_pipeline_parser(sub, "drt", "distribution of relaxation times of each spectrum")
    d.set_defaults(handler=_run_drt)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    params = given(
        args,
        circuit="circuit",
        weighting="weighting",
        area_cm2="area_cm2",
        c="kk_c",
        tolerance="kk_tolerance",
        fit_type="kk_fit_type",
    )
    text = getattr(args, "initial_guess", None)
    if text:
        try:
            params["initial_guess"] = [float(v) for v in text.split(",")]
        except ValueError:
            raise ValueError(f"--initial-guess: not numbers: {text!r}") from None
    return params


def _run_eis(args: argparse.Namespace) -> int:
    try:
        source, result = run_pipeline("eis", args, _options(args))
    except (ParseError, ValueError) as exc:
        return fail(exc)
    lines = []
    for s in result.summary["details"]:
        fit = s["fit"]
        params = ", ".join(f"{k}={v:.4g}" for k, v in fit["parameters"].items() if v is not None)
        lines.append(
            f"spectrum {s['spectrum']}: {fit['circuit']}: {params} (chi2 {fit['chi_square']:.3g})"
        )
    return finish(args, source, result, lines)


def _part(args: argparse.Namespace, key: str) -> tuple[int, list[dict[str, Any]]]:
    try:
        _, result = run_pipeline("eis", args, _options(args))
    except (ParseError, ValueError) as exc:
        return fail(exc), []
    return 0, [{"spectrum": s["spectrum"], **(s[key] or {})} for s in result.summary["details"]]


def _run_kk(args: argparse.Namespace) -> int:
    status, parts = _part(args, "kk")
    if status:
        return status
    if args.json:
        emit_json({"file": args.file.name, "spectra": parts})
        return 0
    for e in parts:
        verdict = "valid" if e["valid"] else "NOT valid"
        print(
            f"spectrum {e['spectrum']}: M={e['M']} mu={e['mu']:.3f} {verdict} "
            f"(max residual {e['max_relative_residual']:.2%})"
        )
    return 0


def _run_drt(args: argparse.Namespace) -> int:
    status, parts = _part(args, "drt")
    if status:
        return status
    if args.json:
        emit_json({"file": args.file.name, "spectra": parts})
        return 0
    for e in parts:
        if "r_inf_ohm" not in e:
            print(f"spectrum {e['spectrum']}: too few points for a DRT")
            continue
        peaks = ", ".join(
            f"tau={p['tau_s']:.3g}s R={p['resistance_ohm']:.3g}ohm" for p in e["peaks"]
        )
        print(f"spectrum {e['spectrum']}: R_inf={e['r_inf_ohm']:.4g} ohm; peaks: {peaks}")
    return 0
