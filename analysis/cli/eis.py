"""``python -m analysis eis FILE [--circuit STR] [--initial-guess v1,v2,...]
[--weighting none|modulus|proportional|noise] [--area-cm2 A] [--inductive model|exclude]
[--param NAME=VALUE ...] [--json]``; ``python -m analysis kk FILE [--c 0.85] [--tolerance 0.01]
[--noise-factor 4] [--fit-type complex|real|imag] [--[no-]capacitance] [--[no-]inductance]
[--m-selection resolved-mu|first-mu] [--max-m 50]`` and ``python -m analysis drt FILE
[--drt-lambda series|spectrum]``. All three run the EIS pipeline (the same one a labdb job
runs); ``kk`` and ``drt`` print its lin-KK and DRT parts. The defaults shown in ``--help`` are
the pipeline's (:class:`analysis.pipelines.eis.EISParams`, held equal by a test)."""

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

#: The EIS pipeline's defaults, shown in the help texts. They are written out here so that the
#: command line starts without importing the science (scipy); a test holds them equal to
#: :class:`analysis.pipelines.eis.EISParams` and to docs/eis.md.
DEFAULTS: dict[str, Any] = {
    "weighting": "noise",
    "inductive": "model",
    "kk_c": 0.85,
    "kk_tolerance": 0.01,
    "kk_noise_factor": 4.0,
    "kk_fit_type": "complex",
    "kk_capacitance": True,
    "kk_inductance": True,
    "kk_m_selection": "resolved-mu",
    "kk_max_m": 50,
    "drt_lambda": "series",
}
_HELP = {
    "weighting": "residual weighting; noise: by the spectrum's own measured noise",
    "inductive": "inductive high-frequency points: model them (L0) or exclude them from the fit",
    "kk_c": "mu cut-off (Schoenleber 2014)",
    "kk_tolerance": "smallest accepted relative residual (floor of the noise-aware limit)",
    "kk_noise_factor": "accept residuals up to this many standard deviations of the noise",
    "kk_fit_type": "fit the complex impedance, its real part (impedance.py) or imaginary part",
    "kk_capacitance": "series capacitance in the KK circuit",
    "kk_inductance": "series inductance in the KK circuit",
    "kk_m_selection": "number of RC elements: mu criterion from the first resolved M, or from 1",
    "kk_max_m": "largest number of RC elements",
    "drt_lambda": "DRT regularisation chosen on the whole series or on each spectrum",
}
_CHOICES = {
    "weighting": ("none", "modulus", "proportional", "noise"),
    "inductive": ("model", "exclude"),
    "kk_fit_type": ("complex", "real", "imag"),
    "kk_m_selection": ("resolved-mu", "first-mu"),
    "drt_lambda": ("series", "spectrum"),
}


def _help(name: str) -> str:
    default = DEFAULTS[name]
    shown = str(default).lower() if isinstance(default, bool) else default
    return f"{_HELP[name]} (default {shown})"


def _choices(name: str) -> tuple[str, ...]:
    return _CHOICES[name]


def register(sub: SubParsers) -> None:
    p = add_pipeline_parser(
        sub, "eis", "fit an equivalent circuit to every spectrum of an EIS file"
    )
    p.add_argument("--circuit", help="impedance.py circuit, e.g. 'R0-p(R1,CPE1)-p(R2,CPE2)'")
    p.add_argument("--initial-guess", help="comma-separated values of the free parameters")
    p.add_argument("--weighting", choices=_choices("weighting"), help=_help("weighting"))
    p.add_argument("--area-cm2", type=float, help="cell area for ohm*cm2 results")
    p.add_argument("--inductive", choices=_choices("inductive"), help=_help("inductive"))
    p.set_defaults(handler=_run_eis)

    k = add_pipeline_parser(sub, "kk", "lin-KK (Kramers-Kronig) validation of each spectrum")
    k.add_argument("--c", type=float, help=_help("kk_c"))
    k.add_argument("--tolerance", type=float, help=_help("kk_tolerance"))
    k.add_argument("--noise-factor", type=float, help=_help("kk_noise_factor"))
    k.add_argument("--fit-type", choices=_choices("kk_fit_type"), help=_help("kk_fit_type"))
    k.add_argument(
        "--capacitance",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=_help("kk_capacitance"),
    )
    k.add_argument(
        "--inductance",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=_help("kk_inductance"),
    )
    k.add_argument(
        "--m-selection", choices=_choices("kk_m_selection"), help=_help("kk_m_selection")
    )
    k.add_argument("--max-m", type=int, help=_help("kk_max_m"))
    k.set_defaults(handler=_run_kk)

    d = add_pipeline_parser(sub, "drt", "distribution of relaxation times of each spectrum")
    d.add_argument("--drt-lambda", choices=_choices("drt_lambda"), help=_help("drt_lambda"))
    d.set_defaults(handler=_run_drt)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    params = given(
        args,
        circuit="circuit",
        weighting="weighting",
        area_cm2="area_cm2",
        inductive="inductive",
        c="kk_c",
        tolerance="kk_tolerance",
        noise_factor="kk_noise_factor",
        fit_type="kk_fit_type",
        capacitance="kk_capacitance",
        inductance="kk_inductance",
        m_selection="kk_m_selection",
        max_m="kk_max_m",
        drt_lambda="drt_lambda",
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
            f"{_name(s['spectrum'], s['labels'])}: {fit['circuit']}: {params} "
            f"(chi2 {fit['chi_square']:.3g})"
        )
    return finish(args, source, result, lines)


def _name(spectrum: int, labels: dict[str, Any]) -> str:
    """``spectrum N (cycle C, sequence S) [state, x mAh into half-cycle h]``: the labels the
    file records (cycle and sequence only when a file holds several, the state for an in-situ
    spectrum of a mixed file)."""
    name = f"spectrum {spectrum}"
    ids = [f"{k} {labels[k]}" for k in ("cycle", "sequence") if labels.get(k) is not None]
    if ids and (labels.get("sequence") is not None or labels.get("cycle")):
        name += f" ({', '.join(ids)})"
    if "state" in labels:
        charge = labels.get("half_cycle_charge_ah")
        name += f" [{labels['state']}" + (
            f", {charge * 1000:.4g} mAh into half-cycle {labels.get('half_cycle')}]"
            if charge
            else "]"
        )
    return name


def _part(args: argparse.Namespace, key: str) -> tuple[int, list[dict[str, Any]]]:
    try:
        _, result = run_pipeline("eis", args, _options(args))
    except (ParseError, ValueError) as exc:
        return fail(exc), []
    return 0, [
        {"spectrum": s["spectrum"], **s["labels"], **(s[key] or {})}
        for s in result.summary["details"]
    ]


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
            f"{_name(e['spectrum'], e)}: M={e['M']} mu={e['mu']:.3f} {verdict} "
            f"(max residual {e['max_relative_residual']:.2%}, "
            f"{e['worst_residual_over_limit']:.2f} x its noise-aware limit)"
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
            print(f"{_name(e['spectrum'], e)}: too few points for a DRT")
            continue
        peaks = ", ".join(
            f"tau={p['tau_s']:.3g}s R={p['resistance_ohm']:.3g}ohm" for p in e["peaks"]
        )
        ind = e.get("inductance_h")
        inductance = f", L={ind:.3g} H" if ind is not None else ""
        print(
            f"{_name(e['spectrum'], e)}: R_inf={e['r_inf_ohm']:.4g} ohm{inductance}, "
            f"lambda={e['regularization']:.2g} ({e['regularization_choice']}); peaks: {peaks}"
        )
    return 0
