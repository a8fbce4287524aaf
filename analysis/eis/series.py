"""A series of spectra (EIS after N cycles, in-situ EIS every 10 minutes) fitted in order.

Each spectrum starts from the previous spectrum's parameters (warm start): consecutive spectra
of one cell differ little, so a local fit converges in a few iterations. When the warm fit is
clearly worse than a fit from scratch would be (reduced chi-square more than 4 x the previous
one), the spectrum is refitted with automatic guesses. The result is one row per spectrum:
resistance versus cycle, or versus in-situ sequence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from analysis.eis.elements import Complex, Real
from analysis.eis.fitting import FitResult, fit_circuit
from analysis.eis.physical import choose_model, physical_result

_LABELS = ("cycle", "sequence", "time_second", "potential_volt", "current_ampere")


def spectra(table: pd.DataFrame) -> Iterator[tuple[int, Real, Complex, dict[str, Any]]]:
    """``(spectrum, frequency_hz, impedance, labels)`` for each spectrum of a reader's table;
    labels are the first value of cycle/sequence/time/potential/current where recorded."""
    for index, group in table.groupby("spectrum", sort=True):
        f = group["frequency_hz"].to_numpy(dtype=np.float64)
        z = group["z_real_ohm"].to_numpy() + 1j * group["z_imag_ohm"].to_numpy()
        labels = {c: group[c].iloc[0].item() for c in _LABELS if c in group.columns}
        yield int(str(index)), f, z.astype(np.complex128), labels


def fit_series(
    items: Iterable[tuple[Real, Complex]],
    circuit: str,
    *,
    initial_guess: Real | None = None,
    weighting: str = "modulus",
) -> list[FitResult]:
    """Fit ``circuit`` to each ``(frequency_hz, impedance)`` in order, warm-starting from the
    previous result (see the module docstring)."""
    results: list[FitResult] = []
    previous: FitResult | None = None
    for f, z in items:
        guess = previous.values if previous is not None else initial_guess
        fit = fit_circuit(f, z, circuit, guess, weighting=weighting)
        if previous is not None and fit.reduced_chi_square > 4 * previous.reduced_chi_square:
            fresh = fit_circuit(f, z, circuit, None, weighting=weighting)
            if fresh.chi_square < fit.chi_square:
                fit = fresh
        results.append(fit)
        previous = fit
    return results


def resistance_table(
    table: pd.DataFrame,
    *,
    circuit: str | None = None,
    weighting: str = "modulus",
    area_cm2: float | None = None,
) -> pd.DataFrame:
    """Rb, RSEI, RCT (ohm; ohm cm2 with ``area_cm2``) per spectrum of a reader's EIS table,
    with the spectrum's cycle/sequence/time labels, the circuit and the chi-square.

    With ``circuit`` (one of the Rb + arcs models) the series is fitted with warm starts;
    without, each spectrum gets the automatic model choice
    (:func:`analysis.eis.physical.choose_model`) and the reason is kept in ``model_reason``."""
    rows: list[dict[str, Any]] = []
    items = list(spectra(table))
    if circuit is not None:
        fits = fit_series(((f, z) for _, f, z, _ in items), circuit, weighting=weighting)
        for (index, _, _, labels), fit in zip(items, fits, strict=True):
            phys = physical_result(fit, area_cm2=area_cm2).to_dict()
            rows.append(
                {
                    "spectrum": index,
                    **labels,
                    **_summary(phys),
                    "circuit": fit.circuit,
                    "chi_square": fit.chi_square,
                    "model_reason": "given",
                }
            )
        return pd.DataFrame(rows)
    warm = None
    for index, f, z, labels in items:
        choice = choose_model(f, z, weighting=weighting, area_cm2=area_cm2, warm=warm)
        warm = choice.candidates
        phys = choice.physical.to_dict()
        rows.append(
            {
                "spectrum": index,
                **labels,
                **_summary(phys),
                "circuit": choice.fit.circuit,
                "chi_square": choice.fit.chi_square,
                "model_reason": choice.reason,
            }
        )
    return pd.DataFrame(rows)


def _summary(phys: dict[str, Any]) -> dict[str, Any]:
    keys = ("Rb", "RSEI", "RCT")
    out: dict[str, Any] = {}
    for k in keys:
        out[f"{k}_ohm"] = phys.get(f"{k}_ohm")
        out[f"{k}_error_ohm"] = phys.get(f"{k}_error_ohm")
        out[f"{k}_ohm_cm2"] = phys.get(f"{k}_ohm_cm2")
    return out
