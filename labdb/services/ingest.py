"""Registering raw data files and requesting their analyses.

The web upload, the REST API, the harvester, ``manage.py ingest`` and the demo all call
:func:`data_file_register`, so every path gives the same guarantees: the bytes are verified and
stored content-addressed first, the same file on the same run is one record and one job, and the
analysis job is queued only after the transaction commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from labdb import models as m
from labdb.provenance import analysis_version, code_commit, sha256_of
from labdb.storage import StoredBlob, store_chunks

#: The analysis a protocol's data gets by default.
KIND_FOR_PROTOCOL = {
    "plating_stripping": "cycling",
    "galvanostatic": "cycling",
    "formation": "cycling",
    "rate": "cycling",
    "eis": "eis",
    "insitu_eis": "eis",
    "cv": "cv",
    "peel": "peel",
    "scratch": "scratch",
    "indentation": "indentation",
}


@dataclass(frozen=True)
class Registered:
    data_file: m.DataFile
    job: m.AnalysisJob | None
    created: bool


def safe_name(name: str) -> str:
    """A file name kept as metadata: no directories, no control characters, at most 200 chars."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip() or "unnamed"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:200]
    return name


def default_parameters(test_run: m.TestRun, kind: str) -> dict[str, Any]:
    """The parameters an analysis of ``kind`` takes from the run's cell and protocol."""
    params: dict[str, Any] = {}
    protocol = test_run.protocol.parameters or {}
    if kind in {"cycling", "eis"} and test_run.cell is not None:
        params["area_cm2"] = test_run.cell.area_cm2
    if kind == "cycling":
        params["cell_type"] = test_run.cell.kind if test_run.cell is not None else "half"
        if protocol.get("one_c_current_density"):
            params["one_c_current_density_mA_cm2"] = protocol["one_c_current_density"]
    if kind == "peel" and protocol.get("sample_width"):
        params["width_mm"] = protocol["sample_width"]
    if kind == "cv" and protocol.get("scan_rate"):
        params["scan_rate_mV_per_s"] = protocol["scan_rate"]
    return params


def data_file_register(
    *,
    test_run: m.TestRun,
    chunks: Iterable[bytes],
    original_name: str,
    user: Any,
    source: str,
    expected_sha256: str | None = None,
    format: str = "",
    max_bytes: int | None = None,
) -> Registered:
    """Store the content and register it on ``test_run`` with its analysis job.

    Raises ``ChecksumMismatch`` / ``BlobTooLarge`` (from :mod:`labdb.storage`) before anything
    is recorded. Sending the same content to the same run again returns the existing file and
    job (``created`` is False) and queues nothing.
    """
    blob = store_chunks(chunks, expected_sha256=expected_sha256, max_bytes=max_bytes)
    return _register_blob(
        test_run=test_run,
        blob=blob,
        original_name=original_name,
        user=user,
        source=source,
        format=format,
    )


def _register_blob(
    *,
    test_run: m.TestRun,
    blob: StoredBlob,
    original_name: str,
    user: Any,
    source: str,
    format: str,
) -> Registered:
    from labdb.services.audit import audit

    existing = m.DataFile.objects.filter(test_run=test_run, sha256=blob.sha256).first()
    if existing is not None:
        return Registered(existing, existing.jobs.order_by("queued_at").first(), created=False)
    try:
        with transaction.atomic():
            data_file = m.DataFile.objects.create(
                project=test_run.project,
                test_run=test_run,
                sha256=blob.sha256,
                size_bytes=blob.size_bytes,
                original_name=safe_name(original_name),
                format=format,
                source=source,
                uploaded_by=user if getattr(user, "is_authenticated", False) else None,
            )
            audit(
                project=test_run.project,
                action="file.registered",
                user=user,
                target=data_file,
                details={
                    "sha256": blob.sha256,
                    "size_bytes": blob.size_bytes,
                    "name": data_file.original_name,
                    "source": source,
                    "test_run": test_run.label,
                },
            )
            kind = KIND_FOR_PROTOCOL.get(test_run.protocol.kind, "cycling")
            job = job_request(
                data_file=data_file,
                kind=kind,
                parameters=default_parameters(test_run, kind),
                user=user,
            )
    except IntegrityError:
        # A concurrent request registered the same content first.
        existing = m.DataFile.objects.get(test_run=test_run, sha256=blob.sha256)
        return Registered(existing, existing.jobs.order_by("queued_at").first(), created=False)
    return Registered(data_file, job, created=True)


def job_request(
    *, data_file: m.DataFile, kind: str, parameters: dict[str, Any], user: Any
) -> m.AnalysisJob:
    """The job analysing ``data_file`` as ``kind`` with ``parameters``: the existing one for the
    same file, kind, code version and parameters, else a new queued job (sent to a worker once
    the transaction commits)."""
    from labdb.analyses import ANALYZERS
    from labdb.services.audit import audit

    if kind not in ANALYZERS:
        raise ValidationError({"kind": f"unknown analysis {kind!r}; known: {sorted(ANALYZERS)}"})
    parameters = ANALYZERS[kind].validate_parameters(parameters)
    key = {
        "data_file": data_file,
        "kind": kind,
        "analysis_version": analysis_version(),
        "parameters_sha256": sha256_of(parameters),
    }
    job = m.AnalysisJob.objects.filter(**key).first()
    if job is not None:
        return job
    with transaction.atomic():
        job = m.AnalysisJob.objects.create(
            project=data_file.project,
            parameters=parameters,
            code_commit=code_commit(),
            requested_by=user if getattr(user, "is_authenticated", False) else None,
            **key,
        )
        audit(
            project=data_file.project,
            action="analysis.queued",
            user=user,
            target=job,
            details={"kind": kind, "parameters": parameters, "file": data_file.sha256},
        )
        job_id = str(job.pk)
        transaction.on_commit(lambda: _enqueue(job_id))
    return job


def _enqueue(job_id: str) -> None:
    from labdb.tasks import run_analysis_job

    run_analysis_job.delay(job_id)
