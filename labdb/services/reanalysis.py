"""Reading a raw file again with a reader a person chose (when detection failed, chose
wrongly, or to compare readers) and analysing it again under another protocol or with other settings. Old jobs and
results stay (history kept); pages show the newest result of each run."""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from analysis.readers import registry
from labdb import models as m
from labdb.services.audit import audit
from labdb.services.ingest import analysis_request
from labdb.services.jobs import job_request
from labdb.services.parsing import chosen_format


def reader_choices() -> list[tuple[str, str]]:
    """(format, "format: description") of every registered reader, by name."""
    return sorted(
        (name, f"{name} ({spec.kind}): {spec.description}") for name, spec in registry().items()
    )


@transaction.atomic
def data_file_reparse(
    *, data_file: m.DataFile, format: str, user: Any
) -> tuple[m.AnalysisJob, bool]:
    """Read ``data_file`` with the reader ``format`` from now on, and parse and analyse it
    again with that reader as its run's protocol says: ``(job, created)``. Always a new job
    for a reader not yet used on the file (whether the earlier analysis failed or not); the
    same reader chosen again (same code version and settings) gives the existing job
    (idempotent) while its result is the run's current one (or is still to come); when a
    later reading's result has become current (read as A, B, then A), a new job of the same
    reading (``repeat`` + 1), so that A's reading is current again. Earlier jobs and results stay: pages show the newest, the others as
    superseded. The job names the reader and the person who chose it (provenance)."""
    if format not in registry():
        raise ValidationError({"format": f"no reader named {format!r}"})
    kind, params = analysis_request(data_file.test_run)
    job, created = job_request(
        data_file=data_file, kind=kind, parameters=params, user=user, reader=format
    )
    if not created and not _is_current(job):
        # read as A, then B, then A: A's job has a result, but B's is the run's current one;
        # choosing A again must make A's reading current, so a new job of A's reading
        job, created = job_request(
            data_file=data_file,
            kind=kind,
            parameters=params,
            user=user,
            reader=format,
            repeat=job.repeat + 1,
        )
    if created or chosen_format(data_file) != format:
        m.FormatChoice.objects.create(
            data_file=data_file,
            format=format,
            chosen_by=user if getattr(user, "is_authenticated", False) else None,
        )
        audit(
            project=data_file.project,
            action="file.format_chosen",
            user=user,
            target=data_file.test_run,
            details={
                "file": [None, data_file.original_name],
                "format": [None, format],
                "job": [None, str(job.pk)],
            },
        )
    return job, created


def _is_current(job: m.AnalysisJob) -> bool:
    """Whether ``job``'s result is its run's current result of its kind: the newest of the
    run's files still in place, as the pages show it
    (:func:`labdb.selectors.results.latest_per_run`). A job not finished yet counts as current
    (its result will be the newest), and so does one that ended without a result (failed, or
    superseded by a newer version of a growing file): asking again changes nothing there."""
    if job.status != m.AnalysisJob.Status.SUCCEEDED:
        return True
    newest = (
        m.AnalysisResult.objects.filter(
            test_run_id=job.data_file.test_run_id,
            kind=job.kind,
            job__data_file__removal__isnull=True,
        )
        .order_by("-created_at")
        .values_list("pk", flat=True)
        .first()
    )
    return newest == job.pk


def data_file_reanalyse(
    *,
    data_file: m.DataFile,
    protocol: m.TestProtocol | None,
    parameters: dict[str, Any],
    user: Any,
) -> tuple[m.AnalysisJob, bool]:
    """Analyse ``data_file`` as ``protocol`` (default: its run's) says, with ``parameters``
    over the protocol's: ``(job, created)`` (the existing job when that analysis was asked
    for already)."""
    run = data_file.test_run
    if protocol is not None:
        if protocol.project_id != run.project_id:
            raise ValidationError({"protocol": "the protocol belongs to another project"})
        run = copy.copy(run)
        run.protocol = protocol
    kind, params = analysis_request(run, parameters)
    job, created = job_request(data_file=data_file, kind=kind, parameters=params, user=user)
    if created:
        audit(
            project=data_file.project,
            action="analysis.again",
            user=user,
            target=data_file.test_run,
            details={
                "file": [None, data_file.original_name],
                "protocol": [None, run.protocol.label],
                "parameters": [None, parameters],
            },
        )
    return job, created
