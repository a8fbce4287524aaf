"""Reads for the API's data endpoints: files, jobs, results and their row tables, scoped to the
projects of the requesting user."""

from __future__ import annotations

import math
import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from rest_framework.exceptions import ValidationError

from labdb import models as m
from labdb.models.data import CycleResult
from labdb.selectors.access import AmbiguousLabel, User, one_by_key, visible
from labdb.selectors.uncertainty import cycling_bounds

#: Run metrics as columns of AnalysisResult, in the order the tables show them.
METRIC_COLUMNS = tuple(rm.column for rm in m.RUN_METRICS)
CYCLE_COLUMNS = (
    "cycle",
    "charge_capacity_mAh",
    "discharge_capacity_mAh",
    "plating_capacity_mAh",
    "stripping_capacity_mAh",
    "coulombic_efficiency",
)


def visible_files(user: User) -> QuerySet[m.DataFile]:
    return visible(m.DataFile, user).select_related("test_run", "uploaded_by")


def visible_jobs(user: User) -> QuerySet[m.AnalysisJob]:
    return visible(m.AnalysisJob, user).select_related("data_file__test_run")


def visible_results(user: User) -> QuerySet[m.AnalysisResult]:
    if not user.is_authenticated:
        return m.AnalysisResult.objects.none()
    return m.AnalysisResult.objects.filter(
        test_run__project__memberships__user=user
    ).select_related("test_run", "job")


def get_by_uuid(qs: QuerySet[Any], key: str, what: str) -> Any:
    """The record of ``qs`` with UUID ``key``, else 404 (also for a malformed key)."""
    try:
        pk = uuid.UUID(str(key))
    except ValueError as exc:
        raise Http404(f"no {what} {key!r}") from exc
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404(f"no {what} {key!r}")
    return obj


def get_record(qs: QuerySet[Any], key: str, what: str, field: str = "id_or_label") -> Any:
    """The record of ``qs`` with UUID or label ``key``, else 404; 400 naming ``field`` if the
    label names records in several of the user's projects."""
    if "\x00" in key:  # PostgreSQL refuses NUL in text; no label contains one
        raise Http404(f"no {what}")
    try:
        obj = one_by_key(qs, key)
    except AmbiguousLabel as exc:
        raise ValidationError({field: [str(exc)]}, code="ambiguous") from exc
    if obj is None:
        raise Http404(f"no {what} {key!r}")
    return obj


def latest_result(run: m.TestRun, kind: str = "cycling") -> m.AnalysisResult | None:
    """The run's newest result of ``kind`` (results are never overwritten; a re-analysis adds
    a newer one)."""
    return run.results.filter(kind=kind).order_by("-created_at").first()


def cycle_rows(result: m.AnalysisResult | None) -> list[dict[str, Any]]:
    """One flat row per cycle: the key columns, then every other per-cycle value, then the
    error bounds of charge, discharge, CE and cumulative CE (``*_bound``) when the run's
    instrument states its accuracy (docs/statistics.md)."""
    if result is None:
        return []
    rows = []
    for row in (
        CycleResult.objects.of_result(result)
        .order_by("cycle")
        .values_list(*CYCLE_COLUMNS, "values")
    ):
        flat = dict(zip(CYCLE_COLUMNS, row[:-1], strict=True))
        for k, v in (row[-1] or {}).items():
            flat.setdefault(k, v)
        rows.append(flat)
    bounds = cycling_bounds(result)
    if bounds is not None:  # limits of error from the instrument's stated accuracy
        for flat in rows:
            if flat["cycle"] in bounds.cycles:
                for k, v in bounds.at(flat["cycle"]).items():
                    flat[f"{k}_bound"] = v if math.isfinite(v) else None
    return rows


def metric_rows(results: QuerySet[m.AnalysisResult]) -> list[dict[str, Any]]:
    """One row per result: which run and job, then the run metrics."""
    return [
        {
            "job": str(r.job_id),
            "test_run": r.test_run.label,
            "kind": r.kind,
            "created_at": r.created_at,
            **{c: getattr(r, c) for c in METRIC_COLUMNS},
        }
        for r in results.select_related("test_run")
    ]
