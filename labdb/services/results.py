"""Storing a pipeline's result: the thin storage side of :mod:`analysis.pipelines`.

Every kind gets one :class:`~labdb.models.AnalysisResult` (summary JSON), one
:class:`~labdb.models.ResultTable` per table and row-level series (Parquet in the blob store),
and the pipeline's whole JSON (``Result.to_json``) as a blob whose sha256 is the job's
``output_sha256``. Cycling results also fill the metric columns and one
:class:`~labdb.models.CycleResult` per cycle (so the API filters and pages them); EIS results
one :class:`~labdb.models.EISSpectrumFit` per spectrum with its fit, lin-KK check, DRT and
fitted curve.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from analysis.pipelines import Result
from labdb import models as m
from labdb.provenance import canonical_json
from labdb.services.parsing import store_frame
from labdb.storage import store_chunks

#: per-cycle values kept as columns of CycleResult (the rest are in ``values``)
CYCLE_COLUMNS = (
    "charge_capacity_mAh",
    "discharge_capacity_mAh",
    "plating_capacity_mAh",
    "stripping_capacity_mAh",
    "coulombic_efficiency",
)


def num(value: Any) -> float | None:
    """A finite float, else None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def output_store(result: Result) -> str:
    """Store the pipeline's JSON (canonical form) as a blob; returns its sha256, which equals
    :func:`labdb.provenance.sha256_of` of the JSON."""
    data = canonical_json(result.to_json()).encode()
    return store_chunks([data], max_bytes=1 << 62).sha256


def result_store(job: m.AnalysisJob, result: Result) -> m.AnalysisResult:
    """Write ``result`` for ``job`` (call inside the job's finishing transaction)."""
    summary = dict(result.summary)
    if result.kind == "eis":
        summary.pop("details", None)  # kept per spectrum in EISSpectrumFit
    record = m.AnalysisResult.objects.create(
        job=job,
        test_run=job.data_file.test_run,
        kind=result.kind,
        summary={**summary, "warnings": list(result.warnings)},
        **_metric_columns(result),
    )
    for name, frame in {**result.tables, **result.series}.items():
        m.ResultTable.objects.create(
            result=record,
            name=name,
            sha256=store_frame(frame),
            rows=len(frame),
            columns=[str(c) for c in frame.columns],
        )
    if result.kind == "cycling":
        _store_cycles(record, result)
    elif result.kind == "eis":
        _store_spectra(record, result)
    return record


def _metric_columns(result: Result) -> dict[str, Any]:
    if result.kind != "cycling":
        return {}
    metrics: Mapping[str, Any] = result.summary["metrics"]
    return {
        "cycle_count": metrics.get("number_of_cycles"),
        "initial_coulombic_efficiency": num(metrics.get("initial_coulombic_efficiency")),
        "average_coulombic_efficiency": num(metrics.get("average_coulombic_efficiency")),
        "cumulative_coulombic_efficiency": num(metrics.get("cumulative_coulombic_efficiency")),
        "capacity_retention": num(metrics.get("capacity_retention")),
        "short_circuit_cycle": metrics.get("short_circuit_cycle"),
        "cycle_life": metrics.get("cycle_life"),
        "total_time_h": num(metrics.get("total_time_h")),
    }


def _store_cycles(record: m.AnalysisResult, result: Result) -> None:
    from analysis.serial import records

    rows = [
        m.CycleResult(
            result=record,
            cycle=int(row["cycle"]),
            values={k: v for k, v in row.items() if k not in CYCLE_COLUMNS and k != "cycle"},
            **{k: num(row.get(k)) for k in CYCLE_COLUMNS},
        )
        for row in records(result.tables["cycles"])
    ]
    m.CycleResult.objects.bulk_create(rows, batch_size=2000)


def _clean(value: Any) -> Any:
    from analysis.serial import jsonable

    return jsonable(value)


def _store_spectra(record: m.AnalysisResult, result: Result) -> None:
    rows = []
    for s in result.summary["details"]:
        p, fit, labels = s["physical"], s["fit"], s["labels"]
        rows.append(
            m.EISSpectrumFit(
                result=record,
                spectrum=s["spectrum"],
                cycle=labels.get("cycle"),
                sequence=labels.get("sequence"),
                time_second=num(labels.get("time_second")),
                potential_volt=num(labels.get("potential_volt")),
                current_ampere=num(labels.get("current_ampere")),
                circuit=fit["circuit"],
                parameters={k: num(v) for k, v in fit["parameters"].items()},
                standard_errors={k: num(v) for k, v in fit["standard_errors"].items()},
                chi_square=num(fit["chi_square"]),
                rb_ohm=num(p.get("Rb_ohm")),
                rsei_ohm=num(p.get("RSEI_ohm")),
                rct_ohm=num(p.get("RCT_ohm")),
                rb_ohm_cm2=num(p.get("Rb_ohm_cm2")),
                rsei_ohm_cm2=num(p.get("RSEI_ohm_cm2")),
                rct_ohm_cm2=num(p.get("RCT_ohm_cm2")),
                model_reason=s["model_reason"],
                kk=_clean(s["kk"] or {}),
                details=_clean(p),
                drt=_clean(s["drt"] or {}),
                curve=_clean(s["curve"]),
            )
        )
    m.EISSpectrumFit.objects.bulk_create(rows)
