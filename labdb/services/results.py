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

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction

from analysis.pipelines import Result
from analysis.serial import num
from labdb import models as m
from labdb.provenance import canonical_json
from labdb.services.alerts import alerts_after_result
from labdb.services.conformance import run_conformance
from labdb.services.parsing import store_frame
from labdb.services.status import status_follow_result
from labdb.storage import store_chunks

#: per-cycle values kept as columns of CycleResult (the rest are in ``values``)
CYCLE_COLUMNS = (
    "charge_capacity_mAh",
    "discharge_capacity_mAh",
    "plating_capacity_mAh",
    "stripping_capacity_mAh",
    "coulombic_efficiency",
)


@dataclass(frozen=True)
class StoredOutput:
    """A pipeline result's blobs, written before the job's finishing transaction (so no row
    lock is held while Parquet and JSON are written): the JSON form, its sha256 and the
    (sha256, rows, columns) of each table and series."""

    data: dict[str, Any]
    sha256: str
    tables: dict[str, tuple[str, int, list[str]]]


def output_store(result: Result) -> StoredOutput:
    """Store the pipeline's JSON (canonical form; its sha256 equals
    :func:`labdb.provenance.sha256_of` of the JSON) and each table and series as Parquet."""
    data = result.to_json()
    sha256 = store_chunks([canonical_json(data).encode()], max_bytes=1 << 62).sha256
    tables = {
        name: (store_frame(frame), len(frame), [str(c) for c in frame.columns])
        for name, frame in {**result.tables, **result.series}.items()
    }
    return StoredOutput(data, sha256, tables)


def result_store(job: m.AnalysisJob, stored: StoredOutput) -> m.AnalysisResult:
    """Write the result rows for ``job`` from its stored output (call inside the job's
    finishing transaction)."""
    data = stored.data
    kind = data["kind"]
    summary = {k: v for k, v in data["summary"].items() if k != "details"}
    record = m.AnalysisResult.objects.create(
        job=job,
        test_run=job.data_file.test_run,
        kind=kind,
        summary={**summary, "warnings": data["warnings"]},
        conformance=run_conformance(job.data_file.test_run, data),
        **metric_columns(data),
    )
    m.ResultTable.objects.bulk_create(
        m.ResultTable(result=record, name=name, sha256=sha, rows=rows, columns=columns)
        for name, (sha, rows, columns) in stored.tables.items()
    )
    if kind == "cycling":
        _store_cycles(record, data["tables"]["cycles"])
    elif kind == "eis":
        _store_spectra(record, data["summary"]["details"])
    status_follow_result(result=record)  # the run's and cell's statuses follow the data
    # alert rules see the result once it is committed; they never fail the job
    transaction.on_commit(partial(alerts_after_result, record.pk))
    return record


def metric_columns(data: Mapping[str, Any]) -> dict[str, Any]:
    """The AnalysisResult metric columns of a pipeline JSON (empty unless cycling)."""
    if data["kind"] != "cycling":
        return {}
    metrics: Mapping[str, Any] = data["summary"]["metrics"]
    return {
        rm.column: metrics.get(rm.metric) if rm.integer else num(metrics.get(rm.metric))
        for rm in m.RUN_METRICS
    }


def _store_cycles(record: m.AnalysisResult, cycles: list[dict[str, Any]]) -> None:
    rows = [
        m.CycleResult(
            result=record,
            cycle=int(row["cycle"]),
            values={k: v for k, v in row.items() if k not in CYCLE_COLUMNS and k != "cycle"},
            **{k: num(row.get(k)) for k in CYCLE_COLUMNS},
        )
        for row in cycles
    ]
    m.CycleResult.objects.bulk_create(rows, batch_size=2000)


def _store_spectra(record: m.AnalysisResult, details: list[dict[str, Any]]) -> None:
    """One row per spectrum from the pipeline's (already JSON-ready) details."""
    rows = []
    for s in details:
        p, fit, labels = s["physical"], s["fit"], s["labels"]
        assignment = p.get("assignment")
        rows.append(
            m.EISSpectrumFit(
                result=record,
                spectrum=s["spectrum"],
                cycle=labels.get("cycle"),
                sequence=labels.get("sequence"),
                time_second=num(labels.get("time_second")),
                potential_volt=num(labels.get("potential_volt")),
                current_ampere=num(labels.get("current_ampere")),
                half_cycle=labels.get("half_cycle"),
                state=labels.get("state") or "",
                half_cycle_charge_ah=num(labels.get("half_cycle_charge_ah")),
                voltage_volt=num(labels.get("voltage_volt")),
                fit_success=bool(fit["success"]),
                assignment_status=(assignment or {}).get("status") or "",
                inductance_h=num(p.get("inductance_h")),
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
                kk=s["kk"] or {},
                details=p,
                drt=s["drt"] or {},
                curve=s["curve"],
            )
        )
    m.EISSpectrumFit.objects.bulk_create(rows)
