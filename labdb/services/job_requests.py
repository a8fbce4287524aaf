"""Asking for an analysis: the job for a file, kind, parameters and reader, created once
(idempotent: the same request finds the same job) and sent to a worker when its transaction
commits. :mod:`labdb.services.jobs` runs the jobs."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from analysis import pipelines
from labdb import models as m
from labdb.provenance import analysis_version, code_commit, sha256_of
from labdb.services.audit import audit
from labdb.services.job_queue import job_send
from labdb.services.parsing import chosen_format


def cell_parameters(test_run: m.TestRun, kind: str) -> dict[str, Any]:
    """The analysis parameters a run's cell states for a ``kind`` analysis: its area (cycling,
    EIS) and whether it is a half or a full cell (cycling: which CE convention; EIS: whether
    a reduction is a plating or a discharge)."""
    cell = test_run.cell
    if cell is None or kind not in {"cycling", "eis"}:
        return {}
    return {"area_cm2": cell.area_cm2, "cell_type": cell.kind}


def job_rerun(
    *, job: m.AnalysisJob, parameters: dict[str, Any], user: Any
) -> tuple[m.AnalysisJob, bool]:
    """Analyse the same file again with other parameters: ``(job, created)``, a new job unless
    the same analysis was already asked for; old results stay."""
    merged = {**job.parameters, **parameters}
    return job_request(data_file=job.data_file, kind=job.kind, parameters=merged, user=user)


def validated_parameters(kind: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """``parameters`` checked by the ``kind`` pipeline, in its flat JSON form (defaults
    filled in); ``ValidationError`` naming the parameter otherwise."""
    try:
        pipeline = pipelines.get(kind)
    except ValueError as exc:
        raise ValidationError({"kind": str(exc)}) from exc
    try:
        return pipeline.validate(parameters).to_dict()
    except pipelines.ParameterError as exc:
        raise ValidationError({"parameters": f"{kind} analysis: {exc}"}) from exc


def job_request(
    *,
    data_file: m.DataFile,
    kind: str,
    parameters: dict[str, Any],
    user: Any,
    reader: str | None = None,
    repeat: int | None = None,
) -> tuple[m.AnalysisJob, bool]:
    """The job analysing ``data_file`` as ``kind`` with ``parameters``, reading it with
    ``reader`` (default: the file's current choice, :func:`chosen_format`; "" = detected):
    ``(job, created)``, the existing one for the same file, kind, code version, parameters and
    reader (the newest ``repeat`` of them, or exactly ``repeat`` when given), else a new queued
    job (sent to a worker once the transaction commits) with ``repeat`` (default 0). Raises
    ``ValidationError`` for an unknown kind or parameters the pipeline refuses."""
    parameters = validated_parameters(kind, parameters)
    key: dict[str, Any] = {
        "data_file": data_file,
        "kind": kind,
        "analysis_version": analysis_version(),
        "parameters_sha256": sha256_of(parameters),
        "reader": chosen_format(data_file) if reader is None else reader,
    }
    if repeat is not None:
        key["repeat"] = repeat
    live = m.AnalysisJob.objects.filter(**key).exclude(status=m.AnalysisJob.Status.FAILED)
    job = live.order_by("-repeat").first()
    if job is not None:
        return job, False
    key.setdefault("repeat", 0)
    try:
        with transaction.atomic():
            job = m.AnalysisJob.objects.create(
                project=data_file.project,
                parameters=parameters,
                code_commit=code_commit(),
                requested_by=user if getattr(user, "is_authenticated", False) else None,
                **key,
            )
            details: dict[str, Any] = {
                "kind": kind,
                "parameters": parameters,
                "file": data_file.sha256,
            }
            details["reader"] = key["reader"] or "detected"
            if key["repeat"]:
                details["repeat"] = key["repeat"]
            audit(
                project=data_file.project,
                action="analysis.queued",
                user=user,
                target=job,
                details=details,
            )
    except IntegrityError:
        # a concurrent request created it first (or, while the idempotency key still covers
        # failed jobs, the failed job holds the key): that job, not created by this call
        same = m.AnalysisJob.objects.filter(**key)
        return (same.exclude(status=m.AnalysisJob.Status.FAILED).first() or same.first()), False
    job_id = str(job.pk)
    transaction.on_commit(lambda: _enqueue(job_id))
    return job, True


def _enqueue(job_id: str) -> None:
    job_send(job_id)
