"""``python -m analysis eis FILE [--circuit STR] [--initial-guess v1,v2,...]
[--weighting none|modulus|proportional] [--area-cm2 A] [--json]``, ``python -m analysis kk FILE
[--c 0.85] --json`` and ``python -m analysis drt FILE --json``."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import Any

from analysis.cli._common import emit_json, fail
from analysis.eis import WEIGHTINGS, choose_model, compute_drt, fit_circuit, lin_kk, spectra
from analysis.eis.circuit import CircuitError
from analysis.eis.physical import physical_result
from analysis.readers import ParseError, read


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("eis", help="fit an equivalent circuit to every spectrum of an EIS file")
    p.add_argument("file", type=Path)
    p.add_argument("--format", help="reader name; detected from the content when omitted")
    p.add_argument("--circuit", help="impedance.py circuit, e.g. 'R0-p(R1,CPE1)-p(R2,CPE2)'")
    p.add_argument("--initial-guess", help="comma-separated values of the free parameters")
    p.add_argument("--weighting", choices=WEIGHTINGS, default="modulus")
    p.add_argument("--area-cm2", type=float, help="cell area for ohm*cm2 results")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(handler=_run_eis)

    k = sub.add_parser("kk", help="lin-KK (Kramers-Kronig) validation of each spectrum")
    k.add_argument("file", type=Path)
    k.add_argument("--format")
    k.add_argument("--c", type=float, default=0.85, help="mu cut-off (Schoenleber: 0.85)")
    k.add_argument(
        "--tolerance", type=float, default=0.025, help="accepted relative residual (default 0.025)"
    )
    k.add_argument(
        "--fit-type",
        choices=("complex", "real", "imag"),
        default="complex",
        help="fit the complex impedance (default) or, as impedance.py does, its real part",
    )
    k.add_argument("--json", action="store_true")
    k.set_defaults(handler=_run_kk)

    d = sub.add_parser("drt", help="distribution of relaxation times of each spectrum")
    d.add_argument("file", type=Path)
    d.add_argument("--format")
    d.add_argument("--json", action="store_true")
    d.set_defaults(handler=_run_drt)


def _load(args: argparse.Namespace) -> list[tuple[int, Any, Any, dict[str, Any]]]:
    result = read(args.file, format=args.format)
    if result.kind != "eis":
        raise ParseError(f"holds {result.kind} data, not impedance spectra", file=args.file)
    return list(spectra(result.table))


def _run_eis(args: argparse.Namespace) -> int:
    try:
        items = _load(args)
        guess = None
        if args.initial_guess:
            try:
                guess = [float(v) for v in args.initial_guess.split(",")]
            except ValueError:
                raise ValueError(f"--initial-guess: not numbers: {args.initial_guess!r}") from None
        out = []
        previous = None
        for index, f, z, labels in items:
            entry: dict[str, Any] = {"index": index, **labels}
            if args.circuit:
                start = previous.values if previous is not None else guess
                fit = fit_circuit(f, z, args.circuit, start, weighting=args.weighting)
                previous = fit
                entry.update(fit.to_dict())
                with contextlib.suppress(ValueError):
                    entry["physical"] = physical_result(fit, area_cm2=args.area_cm2).to_dict()
            else:
                choice = choose_model(f, z, weighting=args.weighting, area_cm2=args.area_cm2)
                entry.update(choice.fit.to_dict())
                entry["model_choice"] = choice.to_dict()
                entry["physical"] = choice.physical.to_dict()
            out.append(entry)
    except (ParseError, CircuitError, ValueError) as exc:
        return fail(exc)
    if args.json:
        emit_json({"file": args.file.name, "spectra": out})
    else:
        for e in out:
            params = ", ".join(f"{k}={v:.4g}" for k, v in e["parameters"].items())
            print(f"spectrum {e['index']}: {e['circuit']}: {params} (chi2 {e['chi_square']:.3g})")
    return 0


def _run_kk(args: argparse.Namespace) -> int:
    try:
        out = []
        for index, f, z, _ in _load(args):
            res = lin_kk(f, z, c=args.c, tolerance=args.tolerance, fit_type=args.fit_type)
            out.append({"index": index, **res.to_dict()})
    except (ParseError, ValueError) as exc:
        return fail(exc)
    if args.json:
        emit_json({"file": args.file.name, "spectra": out})
    else:
        for e in out:
            verdict = "valid" if e["valid"] else "NOT valid"
            print(
                f"spectrum {e['index']}: M={e['M']} mu={e['mu']:.3f} {verdict} "
                f"(max residual {e['max_relative_residual']:.2%})"
            )
    return 0


def _run_drt(args: argparse.Namespace) -> int:
    try:
        out = [{"index": i, **compute_drt(f, z).to_dict()} for i, f, z, _ in _load(args)]
    except (ParseError, ValueError) as exc:
        return fail(exc)
    if args.json:
        emit_json({"file": args.file.name, "spectra": out})
    else:
        for e in out:
            peaks = ", ".join(
                f"tau={p['tau_s']:.3g}s R={p['resistance_ohm']:.3g}ohm" for p in e["peaks"]
            )
            print(f"spectrum {e['index']}: R_inf={e['r_inf_ohm']:.4g} ohm; peaks: {peaks}")
    return 0
