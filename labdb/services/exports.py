"""Heavy exports as background jobs: ask, send, run, sweep.

The data package, the study report as PDF and the RO-Crate of a selection of cells take from
seconds to minutes (the demo's paper package took 102 s on a loaded machine, near gunicorn's
120 s timeout), so a request never builds them. ``export_request`` pins what the export covers
(the selection's cells and analysis results), finds or creates the job for it and sends it to
the ``exports`` queue once the transaction commits; ``export_run`` (the Celery task
``labdb.export_run``, on a worker, or in-process when no broker is configured) claims it,
builds the file with progress, stores it as a content-addressed blob and records its
provenance; ``exports_sweep`` sends again what a lost message or a dead worker left behind.

Idempotent: the job's key is the sha256 of the export kind, the pinned inputs (cell ids, labels
and last edits; result ids and their output hashes), the selection as asked, the parameters,
the code commit and :data:`EXPORT_VERSION`. The same study, selection and code give the same job
and so the same download; a new analysis result, an edited cell or a new code version gives a
new one. Claiming is a conditional UPDATE, so a job sent twice is built once.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from labdb import models as m
from labdb.provenance import code_commit, library_versions, sha256_of
from labdb.reports.datacite import LICENSES
from labdb.reports.selection import StudySelection, slug
from labdb.selectors.access import visible
from labdb.services.audit import audit
from labdb.services.jobs import worker_name
from labdb.storage import BlobCorrupt, store_file

log = logging.getLogger(__name__)

#: bump when an export's content changes for the same inputs and code commit
EXPORT_VERSION = "1"
#: the Celery task that builds an export (routed to the "exports" queue in settings)
RUN_TASK = "labdb.export_run"
QUEUE = "exports"
#: starts of one export (worker deaths) before it ends failed
MAX_ATTEMPTS = 3
#: a queued export whose message was not taken within this is sent again by the sweep
RESEND_AFTER = dt.timedelta(minutes=10)
#: an export that could not be sent (broker away) is sent by the sweep once this old
UNSENT_GRACE = dt.timedelta(seconds=30)
#: kind -> (file suffix, content type)
FILES = {
    m.ExportJob.Kind.PACKAGE: (".zip", "application/zip"),
    m.ExportJob.Kind.REPORT_PDF: (".pdf", "application/pdf"),
    m.ExportJob.Kind.CRATE: (".eln", "application/zip"),
}
#: the parameters a data package takes (DataCite metadata); other kinds take none
PACKAGE_PARAMETERS = ("publisher", "license", "related_doi")
PROVENANCE_LIBRARIES = ("matplotlib", "weasyprint", "rocrate", "pyarrow", "pandas")


class ExportFailure(Exception):
    """An export that cannot be built, with the reason for the user."""


def _pinned_inputs(selection: StudySelection) -> dict[str, Any]:
    results = sorted(
        (
            {"id": str(r.pk), "output_sha256": r.job.output_sha256}
            for r in m.AnalysisResult.objects.select_related("job").filter(
                pk__in=[r.pk for r in selection.results]
            )
        ),
        key=lambda r: r["id"],
    )
    # the CE bounds in the crate are computed from the instruments' accuracy as it is now
    instruments = m.Instrument.objects.filter(
        runs__results__pk__in=[r["id"] for r in results]
    ).distinct()
    return {
        "cells": [
            {"id": str(c.pk), "label": c.label, "updated_at": c.updated_at.isoformat()}
            for c in selection.cells
        ],
        "results": results,
        "instruments": sorted(
            (
                {"id": str(i.pk), "accuracy": _accuracy_fields(i)}
                for i in instruments
                if any(v is not None for v in _accuracy_fields(i).values())
            ),
            key=lambda i: i["id"],
        ),
    }


def _accuracy_fields(instrument: m.Instrument) -> dict[str, Any]:
    return {
        "current_accuracy_pct_of_reading": instrument.current_accuracy_pct_of_reading,
        "current_accuracy_pct_of_range": instrument.current_accuracy_pct_of_range,
        "current_range_mA": instrument.current_range_mA,
        "time_accuracy_ppm": instrument.time_accuracy_ppm,
        "calibrated_on": instrument.calibrated_on.isoformat() if instrument.calibrated_on else None,
    }


def _selection_spec(selection: StudySelection) -> dict[str, Any]:
    return {
        "name": selection.name,
        "group_by": selection.group_by,
        "saved": str(selection.saved.pk) if selection.saved is not None else "",
        "query": selection.query,
    }


def _parameters(kind: str, parameters: dict[str, Any]) -> dict[str, str]:
    if kind != m.ExportJob.Kind.PACKAGE:
        return {}
    unknown = sorted(set(parameters) - set(PACKAGE_PARAMETERS))
    if unknown:
        raise ValidationError({"parameters": f"unknown parameter(s) {', '.join(unknown)}"})
    out = {
        "publisher": str(parameters.get("publisher") or ""),
        "license": str(parameters.get("license") or "CC-BY-4.0"),
        "related_doi": str(parameters.get("related_doi") or ""),
    }
    if out["license"] not in LICENSES:
        raise ValidationError(
            {"license": f"{out['license']!r} is not one of {', '.join(sorted(LICENSES))}"}
        )
    return out


def export_request(
    *, kind: str, selection: StudySelection, user: Any, parameters: dict[str, Any] | None = None
) -> tuple[m.ExportJob, bool]:
    """The export of ``selection`` as ``kind``: ``(job, created)``, the existing job for the same
    inputs, parameters and code version, else a new queued one (sent to the ``exports`` queue
    once the transaction commits). ``ValidationError`` naming the field for an unknown kind, a
    bad parameter or an empty selection."""
    if kind not in m.ExportJob.Kind.values:
        raise ValidationError(
            {"kind": f"{kind!r} is not an export kind ({', '.join(m.ExportJob.Kind.values)})"}
        )
    if not selection.cells:
        raise ValidationError({"cells": "the selection has no cells: nothing to export"})
    params = _parameters(kind, parameters or {})
    inputs = _pinned_inputs(selection)
    spec = _selection_spec(selection)
    commit = code_commit()
    key = sha256_of(
        {
            "kind": kind,
            "inputs": inputs,
            "selection": spec,
            "parameters": params,
            "code_commit": commit,
            "export_version": EXPORT_VERSION,
        }
    )
    live = m.ExportJob.objects.filter(inputs_sha256=key).exclude(status=m.ExportJob.Status.FAILED)
    job = live.first()
    if job is not None:
        return job, False
    suffix, content_type = FILES[m.ExportJob.Kind(kind)]
    stem = {
        m.ExportJob.Kind.PACKAGE: f"{slug(selection.name)}-package",
        m.ExportJob.Kind.REPORT_PDF: f"report-{slug(selection.name)}",
        m.ExportJob.Kind.CRATE: slug(selection.name),
    }[m.ExportJob.Kind(kind)]
    try:
        with transaction.atomic():
            job = m.ExportJob.objects.create(
                kind=kind,
                selection=spec,
                inputs=inputs,
                parameters=params,
                inputs_sha256=key,
                code_commit=commit,
                export_version=EXPORT_VERSION,
                requested_by=user if getattr(user, "is_authenticated", False) else None,
                file_name=f"{stem}{suffix}",
                content_type=content_type,
            )
            audit(
                project=selection.cells[0].project,
                action="export.queued",
                user=user,
                target=job,
                details={"kind": kind, "cells": len(inputs["cells"]), "key": key},
            )
    except IntegrityError:  # a concurrent request created it first
        return live.get(), False
    job_id = str(job.pk)
    transaction.on_commit(lambda: export_send(job_id))
    return job, True


def export_send(job_id: str) -> None:
    """Send the export to the ``exports`` queue (run in-process when no broker is configured).
    A broker that cannot be reached leaves it queued; the sweep sends it later."""
    # by when a worker should have taken it; past that the sweep sends it again
    due = timezone.now() + RESEND_AFTER
    queued = m.ExportJob.objects.filter(pk=job_id, status=m.ExportJob.Status.QUEUED)
    queued.update(lease_expires_at=due)  # before sending: an in-process run finishes it inside
    try:
        current_app.tasks[RUN_TASK].apply_async((job_id,), ignore_result=True, queue=QUEUE)
    except Exception:  # any broker failure: the sweep sends it again
        log.warning(
            "could not send export %s to the workers; the sweep will", job_id, exc_info=True
        )
        queued.filter(lease_expires_at=due).update(lease_expires_at=None)


def exports_sweep(*, now: dt.datetime | None = None) -> list[str]:
    """Hand back exports whose worker died (lease passed) and send again the queued ones no
    worker took within :data:`RESEND_AFTER` of sending (a lost message) or never sent (the
    broker was away); returns the ids sent. Claiming is idempotent: a job sent twice runs
    once."""
    now = now or timezone.now()
    Status = m.ExportJob.Status
    m.ExportJob.objects.filter(status=Status.RUNNING, lease_expires_at__lt=now).update(
        status=Status.QUEUED
    )
    due = m.ExportJob.objects.filter(status=Status.QUEUED).filter(
        Q(lease_expires_at__lt=now)
        | Q(lease_expires_at__isnull=True, queued_at__lt=now - UNSENT_GRACE)
    )
    ids = [str(pk) for pk in due.order_by("queued_at").values_list("pk", flat=True)[:100]]
    for job_id in ids:
        export_send(job_id)
    return ids


def export_visible(job: m.ExportJob, user: Any) -> bool:
    """Who may see an export and download it: whoever asked for it, and anyone who can see
    every cell it covers."""
    if not getattr(user, "is_authenticated", False):
        return False
    if job.requested_by_id == user.pk:
        return True
    ids = job.cell_ids
    return bool(ids) and visible(m.Cell, user).filter(pk__in=ids).count() == len(ids)


def _claim(job_id: str, worker: str) -> m.ExportJob | None:
    now = timezone.now()
    Status = m.ExportJob.Status
    claimable = Q(status=Status.QUEUED) | Q(status=Status.RUNNING, lease_expires_at__lt=now)
    if (
        m.ExportJob.objects.filter(pk=job_id, attempts__gte=MAX_ATTEMPTS)
        .filter(claimable)
        .update(
            status=Status.FAILED,
            finished_at=now,
            lease_expires_at=None,
            error=f"the export was started {MAX_ATTEMPTS} times without finishing (its worker "
            "was killed or lost); giving up",
        )
    ):
        return None
    # no lease renewal: the lease is the hard time limit, past which Celery has killed the task
    lease = dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    if (
        m.ExportJob.objects.filter(pk=job_id)
        .filter(claimable)
        .update(
            status=Status.RUNNING,
            attempts=F("attempts") + 1,
            claimed_by=worker,
            lease_expires_at=now + lease,
            started_at=now,
            progress=0.0,
            stage="starting",
            error="",
        )
        != 1
    ):
        return None  # another process got there first, or it is finished
    return m.ExportJob.objects.select_related("requested_by").get(pk=job_id)


def _mine(job: m.ExportJob) -> Any:
    return m.ExportJob.objects.filter(
        pk=job.pk, status=m.ExportJob.Status.RUNNING, claimed_by=job.claimed_by
    )


class _Progress:
    """Writes the fraction done and the stage to the job row, at most every half second."""

    def __init__(self, job: m.ExportJob) -> None:
        self.job = job
        self.last = 0.0

    def __call__(self, fraction: float, stage: str) -> None:
        now = time.monotonic()
        if now - self.last < 0.5 and fraction < 1.0:
            return
        self.last = now
        try:
            _mine(self.job).update(progress=min(1.0, max(0.0, fraction)), stage=stage[:120])
        except DatabaseError as exc:  # progress is best effort
            log.warning("export %s: could not record progress: %s", self.job.pk, exc)


def pinned_selection(job: m.ExportJob) -> StudySelection:
    """The selection an export was asked for, with exactly the cells and results pinned then."""
    user = job.requested_by
    if user is None:
        raise ExportFailure("the user who asked for this export no longer exists; ask again")
    ids = job.cell_ids
    cells = {str(c.pk): c for c in m.Cell.objects.filter(pk__in=ids)}
    missing = [c["label"] for c in job.inputs["cells"] if c["id"] not in cells]
    if missing:
        raise ExportFailure(f"cell(s) {', '.join(missing)} no longer exist")
    result_ids = [r["id"] for r in job.inputs.get("results", [])]
    results = list(m.AnalysisResult.objects.filter(pk__in=result_ids))
    if len(results) != len(result_ids):
        raise ExportFailure("some analysis results this export covers no longer exist")
    spec = job.selection
    saved = None
    if spec.get("saved"):
        saved = m.SavedComparison.objects.filter(pk=spec["saved"]).first()
        if saved is None:
            raise ExportFailure("the saved comparison this export covers no longer exists")
    return StudySelection(
        user=user,
        name=spec["name"],
        cells=[cells[i] for i in ids],
        results=results,
        group_by=spec["group_by"],
        saved=saved,
        query=spec.get("query") or {},
    )


def _build(job: m.ExportJob, out: Path, progress: _Progress) -> None:
    """Write the export's file to ``out``."""
    selection = pinned_selection(job)
    if job.kind == m.ExportJob.Kind.PACKAGE:
        from labdb.reports.package import build_package

        build_package(selection, out, progress=progress, **job.parameters)
    elif job.kind == m.ExportJob.Kind.REPORT_PDF:
        from labdb.reports.document import report_pdf
        from labdb.reports.selection import compare_figure
        from labdb.reports.study import ReportFigure, build_report

        progress(0.0, "collecting the figures' data")
        figures = [ReportFigure(s, compare_figure(selection.user, s)) for s in selection.figures()]
        progress(0.3, "writing the study report")
        report = build_report(selection, figures=figures)
        progress(0.5, "rendering the PDF")
        out.write_bytes(report_pdf(report))
    else:
        from labdb.exports.crate import write_crate

        progress(0.0, "collecting the RO-Crate's records and raw files")
        write_crate(list(selection.cells), out)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SoftTimeLimitExceeded):
        return (
            f"the export took longer than its limit of {settings.CELERY_TASK_SOFT_TIME_LIMIT} s "
            "(LABDB_TASK_SOFT_TIME_LIMIT) and was stopped"
        )
    if isinstance(exc, (ExportFailure, BlobCorrupt, ValueError)):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc} ({exc.filename or 'file store'}); ask again when it is fixed"
    return f"internal error ({type(exc).__name__}: {exc}); please report it"


def _versions() -> dict[str, str]:
    out = dict(library_versions())
    for name in PROVENANCE_LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def export_run(job_id: str, *, worker: str | None = None) -> m.ExportJob | None:
    """Build one export to its end (succeeded with its blob, or failed with the reason) and
    return it; None when there was nothing to claim (another worker has it, or it is done)."""
    job = _claim(job_id, worker or worker_name())
    if job is None:
        return None
    progress = _Progress(job)
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(dir=_tmp_dir(), prefix="export-") as tmp:
            out = Path(tmp) / job.file_name
            _build(job, out, progress)
            progress(0.97, "storing the result")
            stored = store_file(out, max_bytes=sys.maxsize)
    except BaseException as exc:
        if not isinstance(exc, Exception | SoftTimeLimitExceeded):
            raise  # KeyboardInterrupt, SystemExit: the lease hands the job back
        log.info("export %s failed", job.pk, exc_info=True)
        _finish(job, status=m.ExportJob.Status.FAILED, error=_reason(exc))
        return _reloaded(job)
    _finish(
        job,
        status=m.ExportJob.Status.SUCCEEDED,
        result_sha256=stored.sha256,
        result_size_bytes=stored.size_bytes,
        provenance={
            "inputs_sha256": job.inputs_sha256,
            "code_commit": job.code_commit,
            "export_version": job.export_version,
            "parameters": job.parameters,
            "selection": job.selection,
            "libraries": _versions(),
            "worker": job.claimed_by,
            "build_s": round(time.perf_counter() - started, 3),
        },
    )
    return _reloaded(job)


def _tmp_dir() -> Path:
    path = Path(settings.DATA_DIR) / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _finish(job: m.ExportJob, *, status: str, **fields: Any) -> None:
    with transaction.atomic():
        done = _mine(job).update(
            status=status,
            finished_at=timezone.now(),
            lease_expires_at=None,
            progress=1.0 if status == m.ExportJob.Status.SUCCEEDED else F("progress"),
            stage="done" if status == m.ExportJob.Status.SUCCEEDED else F("stage"),
            **fields,
        )
        if done:
            cell = m.Cell.objects.filter(pk__in=job.cell_ids[:1]).first()
            if cell is not None:
                audit(
                    project=cell.project,
                    action=f"export.{status}",
                    user=None,
                    target=job,
                    details={
                        "error": fields.get("error", ""),
                        "sha256": fields.get("result_sha256", ""),
                    },
                )


def _reloaded(job: m.ExportJob) -> m.ExportJob:
    job.refresh_from_db()
    return job
