"""Cycling analysis of a test run's file: per-cycle rows and run metrics
(definitions: :mod:`analysis.cycling`, docs/metrics-cycling.md)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pandas as pd
from django.core.exceptions import ValidationError

from analysis.cycling import CyclingParameters, CyclingResult, analyze_cycling
from labdb import models as m

KEY_COLUMNS = (
    "charge_capacity_mAh",
    "discharge_capacity_mAh",
    "plating_capacity_mAh",
    "stripping_capacity_mAh",
    "coulombic_efficiency",
)
TOP_LEVEL = {"cell_type", "area_cm2", "one_c_current_density_mA_cm2"}


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


class CyclingAnalyzer:
    kind = "cycling"
    accepts = frozenset({"cycling"})

    def validate_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        params = dict(parameters)
        if params.get("cell_type") not in ("half", "full"):
            raise ValidationError({"cell_type": "expected 'half' or 'full'"})
        known = {f.name for f in dataclasses.fields(CyclingParameters)}
        unknown = sorted(set(params) - known - TOP_LEVEL)
        if unknown:
            raise ValidationError({"parameters": f"unknown cycling parameter(s): {unknown}"})
        try:
            self._options(params)
        except (TypeError, ValueError) as exc:
            raise ValidationError({"parameters": str(exc)}) from exc
        return params

    @staticmethod
    def _options(params: dict[str, Any]) -> CyclingParameters:
        options = {k: v for k, v in params.items() if k not in TOP_LEVEL}
        for key, value in options.items():
            if isinstance(value, list):
                options[key] = tuple(value)
        return CyclingParameters(**options)

    def analyze(self, table: pd.DataFrame, parameters: dict[str, Any]) -> CyclingResult:
        return analyze_cycling(
            table,
            cell_type=parameters["cell_type"],
            area_cm2=parameters.get("area_cm2"),
            one_c_current_density_mA_cm2=parameters.get("one_c_current_density_mA_cm2"),
            params=self._options(parameters),
        )

    def to_json(self, output: CyclingResult) -> dict[str, Any]:
        return output.to_dict()

    def store(self, job: m.AnalysisJob, output: CyclingResult) -> None:
        summary = output.to_dict()
        summary.pop("cycles", None)
        metrics = summary["metrics"]
        result = m.AnalysisResult.objects.create(
            job=job,
            test_run=job.data_file.test_run,
            kind=self.kind,
            summary=summary,
            cycle_count=metrics.get("number_of_cycles"),
            initial_coulombic_efficiency=_num(metrics.get("initial_coulombic_efficiency")),
            average_coulombic_efficiency=_num(metrics.get("average_coulombic_efficiency")),
            cumulative_coulombic_efficiency=_num(metrics.get("cumulative_coulombic_efficiency")),
            capacity_retention=_num(metrics.get("capacity_retention")),
            short_circuit_cycle=metrics.get("short_circuit_cycle"),
            cycle_life=metrics.get("cycle_life"),
            total_time_h=_num(metrics.get("total_time_h")),
        )
        from analysis.cycling.result import records

        rows = []
        for row in records(output.cycles):
            rows.append(
                m.CycleResult(
                    result=result,
                    cycle=int(row["cycle"]),
                    values={k: v for k, v in row.items() if k not in KEY_COLUMNS and k != "cycle"},
                    **{k: _num(row.get(k)) for k in KEY_COLUMNS},
                )
            )
        m.CycleResult.objects.bulk_create(rows, batch_size=2000)


ANALYZER = CyclingAnalyzer()
