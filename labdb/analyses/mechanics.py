"""Peel, scratch, nano-indentation and cyclic-voltammetry analyses of a test run's file
(definitions: :mod:`analysis.mechanics`, :mod:`analysis.voltammetry`, docs/mechanics-and-cv.md).

Each stores one :class:`~labdb.models.AnalysisResult` whose summary is the analysis result's
JSON form (peel strength, critical load and section statistics, Oliver-Pharr hardness and
modulus, CV peaks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from django.core.exceptions import ValidationError

from analysis import mechanics, voltammetry
from labdb import models as m


class _SummaryAnalyzer:
    """An analysis whose whole outcome is one JSON summary."""

    def __init__(
        self,
        kind: str,
        accepts: frozenset[str],
        run: Callable[[pd.DataFrame, dict[str, Any]], Any],
        allowed: set[str],
        required: frozenset[str] = frozenset(),
    ) -> None:
        self.kind = kind
        self.accepts = accepts
        self._run = run
        self._allowed = allowed
        self._required = required

    def validate_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        params = dict(parameters)
        unknown = sorted(set(params) - self._allowed)
        if unknown:
            raise ValidationError({"parameters": f"unknown {self.kind} parameter(s): {unknown}"})
        missing = sorted(self._required - set(params))
        if missing:
            raise ValidationError(
                {
                    "parameters": f"{self.kind} analysis needs {', '.join(missing)} "
                    "(set it in the test protocol)"
                }
            )
        return params

    def analyze(self, table: pd.DataFrame, parameters: dict[str, Any]) -> Any:
        return self._run(table, parameters)

    def to_json(self, output: Any) -> dict[str, Any]:
        data: dict[str, Any] = output.to_json()
        return data

    def store(self, job: m.AnalysisJob, output: Any) -> None:
        m.AnalysisResult.objects.create(
            job=job, test_run=job.data_file.test_run, kind=self.kind, summary=self.to_json(output)
        )


def _peel(table: pd.DataFrame, p: dict[str, Any]) -> Any:
    return mechanics.peel_strength(
        table["displacement_mm"], table["force_N"], width_mm=float(p["width_mm"])
    )


def _scratch(table: pd.DataFrame, p: dict[str, Any]) -> Any:
    residual = table.get("residual_depth_um")
    sections = tuple(tuple(s) for s in p.get("sections", ((0.0, 0.5), (1.5, 2.0))))
    return mechanics.scratch_analysis(
        table["distance_mm"],
        table["normal_load_mN"],
        table["depth_um"],
        residual,
        sections=sections,  # type: ignore[arg-type]
    )


def _indentation(table: pd.DataFrame, p: dict[str, Any]) -> Any:
    kwargs = {k: p[k] for k in ("epsilon", "beta") if k in p}
    if "area_coefficients" in p:
        kwargs["area_coefficients"] = tuple(p["area_coefficients"])
    return mechanics.oliver_pharr(table["depth_nm"], table["load_mN"], **kwargs)


def _cv(table: pd.DataFrame, p: dict[str, Any]) -> Any:
    return voltammetry.cv_peaks(table, scan_rate_mV_per_s=p.get("scan_rate_mV_per_s"))


ANALYZERS = (
    _SummaryAnalyzer("peel", frozenset({"peel"}), _peel, {"width_mm"}, frozenset({"width_mm"})),
    _SummaryAnalyzer("scratch", frozenset({"scratch"}), _scratch, {"sections"}),
    _SummaryAnalyzer(
        "indentation",
        frozenset({"indentation"}),
        _indentation,
        {"epsilon", "beta", "area_coefficients"},
    ),
    _SummaryAnalyzer("cv", frozenset({"cv", "cycling"}), _cv, {"scan_rate_mV_per_s"}),
)
