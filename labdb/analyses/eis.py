"""EIS analysis of a test run's file: every spectrum checked with lin-KK and fitted, with
Rb/RSEI/RCT (definitions: :mod:`analysis.eis`, docs/eis.md).

Without a ``circuit`` parameter each spectrum gets the automatic model choice between one and
two arcs (with and without diffusion), warm-started from the previous spectrum; with one, that
circuit is fitted to every spectrum in order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.core.exceptions import ValidationError

from analysis.eis import (
    WEIGHTINGS,
    CircuitError,
    FitResult,
    choose_model,
    fit_circuit,
    lin_kk,
    parse_circuit,
    physical_result,
    spectra,
)
from labdb import models as m

KNOWN = {"area_cm2", "circuit", "weighting"}


def _num(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


@dataclass(frozen=True)
class SpectrumOutcome:
    index: int
    labels: dict[str, Any]
    fit: FitResult
    physical: dict[str, Any]
    reason: str
    kk: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "spectrum": self.index,
            "labels": self.labels,
            "fit": self.fit.to_dict(),
            "physical": self.physical,
            "model_reason": self.reason,
            "kk": self.kk,
        }


class EISAnalyzer:
    kind = "eis"
    accepts = frozenset({"eis"})

    def validate_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        params = dict(parameters)
        unknown = sorted(set(params) - KNOWN)
        if unknown:
            raise ValidationError({"parameters": f"unknown EIS parameter(s): {unknown}"})
        if params.get("circuit"):
            try:
                parse_circuit(params["circuit"])
            except CircuitError as exc:
                raise ValidationError({"circuit": str(exc)}) from exc
        if params.get("weighting", "modulus") not in WEIGHTINGS:
            raise ValidationError({"weighting": f"one of {sorted(WEIGHTINGS)}"})
        return params

    def analyze(self, table: pd.DataFrame, parameters: dict[str, Any]) -> list[SpectrumOutcome]:
        area = parameters.get("area_cm2")
        weighting = parameters.get("weighting", "modulus")
        circuit = parameters.get("circuit")
        out: list[SpectrumOutcome] = []
        warm: dict[str, FitResult] | None = None
        previous: FitResult | None = None
        for index, f, z, labels in spectra(table):
            kk = lin_kk(f, z)
            kk_summary = {
                "mu": kk.mu,
                "n_rc": kk.n_rc,
                "valid": kk.valid,
                "max_relative_residual": kk.max_residual,
            }
            if circuit:
                fit = fit_circuit(
                    f, z, circuit, previous.values if previous else None, weighting=weighting
                )
                previous = fit
                physical = physical_result(fit, area_cm2=area).to_dict()
                reason = "circuit given"
            else:
                choice = choose_model(f, z, weighting=weighting, area_cm2=area, warm=warm)
                warm = choice.candidates
                fit, physical, reason = choice.fit, choice.physical.to_dict(), choice.reason
            out.append(SpectrumOutcome(index, labels, fit, physical, reason, kk_summary))
        if not out:
            raise ValueError("the file holds no impedance spectrum")
        return out

    def to_json(self, output: list[SpectrumOutcome]) -> list[dict[str, Any]]:
        return [o.to_json() for o in output]

    def store(self, job: m.AnalysisJob, output: list[SpectrumOutcome]) -> None:
        summary = {
            "spectra": len(output),
            "circuits": sorted({o.fit.circuit for o in output}),
            "kk_invalid_spectra": [o.index for o in output if not o.kk["valid"]],
        }
        result = m.AnalysisResult.objects.create(
            job=job, test_run=job.data_file.test_run, kind=self.kind, summary=summary
        )
        rows = []
        for o in output:
            p = o.physical
            rows.append(
                m.EISSpectrumFit(
                    result=result,
                    spectrum=o.index,
                    cycle=o.labels.get("cycle"),
                    sequence=o.labels.get("sequence"),
                    time_second=_num(o.labels.get("time_second")),
                    potential_volt=_num(o.labels.get("potential_volt")),
                    current_ampere=_num(o.labels.get("current_ampere")),
                    circuit=o.fit.circuit,
                    parameters={k: _num(v) for k, v in o.fit.parameters.items()},
                    standard_errors={k: _num(v) for k, v in o.fit.standard_errors.items()},
                    chi_square=_num(o.fit.chi_square),
                    rb_ohm=_num(p.get("Rb_ohm")),
                    rsei_ohm=_num(p.get("RSEI_ohm")),
                    rct_ohm=_num(p.get("RCT_ohm")),
                    rb_ohm_cm2=_num(p.get("Rb_ohm_cm2")),
                    rsei_ohm_cm2=_num(p.get("RSEI_ohm_cm2")),
                    rct_ohm_cm2=_num(p.get("RCT_ohm_cm2")),
                    model_reason=o.reason,
                    kk={k: (_num(v) if not isinstance(v, bool) else v) for k, v in o.kk.items()},
                    details={k: (_num(v) if isinstance(v, float) else v) for k, v in p.items()},
                )
            )
        m.EISSpectrumFit.objects.bulk_create(rows)


ANALYZER = EISAnalyzer()
