"""Registering raw data files and requesting their analyses.

The web upload, the REST API, the harvester, ``manage.py ingest`` and the demo all call
:func:`data_file_register`, so every path gives the same guarantees: the bytes are verified and
stored content-addressed first, the same file on the same run is one record and one job, and the
analysis job is queued only after the transaction commits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from labdb import models as m
from labdb.protocols import PROTOCOL_KINDS, analysis_parameters
from labdb.services.audit import audit
from labdb.services.growing import (
    BaseMismatch,
    Extension,
    store_appended_version,
    version_blocks,
)
from labdb.services.jobs import cell_parameters, job_request
from labdb.storage import StoredBlob, safe_name, store_chunks


class NextVersionTaken(BaseMismatch):
    """The file an upload extends got its next version from another upload first."""

    def __init__(self, base: m.DataFile, newer: m.DataFile) -> None:
        super().__init__(
            f"file {base.pk} (version {base.version}) already has a next version: file "
            f"{newer.pk} (version {newer.version}, {newer.size_bytes} bytes); send the bytes "
            "after its end, or the whole file"
        )
        self.base, self.newer = base, newer


@dataclass(frozen=True)
class Registered:
    data_file: m.DataFile
    job: m.AnalysisJob | None
    created: bool
    #: why no analysis was queued (a run whose analysis needs what it does not state)
    analysis_refused: str = ""


def analysis_request(
    test_run: m.TestRun, explicit: dict[str, Any] | None = None
) -> tuple[str, dict[str, Any]]:
    """The analysis kind a run's data gets and its parameters: the protocol's values
    (:func:`labdb.protocols.analysis_parameters`, same names as the pipeline's), the cell's
    area and type, then ``explicit`` parameters over them. Raises ``ValidationError`` with a
    message when the analysis cannot be specified: a cycling run without a cell and without an
    explicit ``cell_type`` is refused, never guessed to be a half cell."""
    kind = PROTOCOL_KINDS[test_run.protocol.kind].analysis
    params = analysis_parameters(test_run.protocol.kind, test_run.protocol.parameters or {})
    params.update(cell_parameters(test_run, kind))
    params.update(explicit or {})
    if kind == "cycling" and "cell_type" not in params:
        raise ValidationError(
            {
                "cell_type": f"test run {test_run.label} has no cell, so whether it is a half or "
                "a full cell is unknown; link a cell or give cell_type explicitly"
            }
        )
    return kind, params


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
    parameters: dict[str, Any] | None = None,
    base: m.DataFile | None = None,
    offset: int | None = None,
) -> Registered:
    """Store the content and register it on ``test_run`` with its analysis job.

    When the content extends an earlier file of the run (that file's bytes are a prefix of
    it, checked by sha256: :mod:`labdb.services.growing`) the new file is its next version
    (``extends``, ``version``). ``base``: the file the client says it extends, also
    considered when a later version of it exists. ``offset`` (with ``base``): append mode,
    ``chunks`` are the bytes after the first ``offset`` bytes of ``base``, which must be its
    size (``BaseMismatch`` otherwise); the whole content is built from the stored ``base``
    (:func:`labdb.services.growing.store_appended_version`).

    A file has at most one next version (``datafile_one_next_version``): when another upload
    extended the same file first (a race, or a client appending to an old version), an append
    (``base`` given) raises ``BaseMismatch`` naming the newer version (409 in the API: the
    client sends the bytes after its end), and a whole-file upload is registered without the
    link, as a file of its own analysed whole.

    Raises ``ChecksumMismatch`` / ``BlobTooLarge`` (from :mod:`labdb.storage`) before anything
    is recorded. ``parameters`` are explicit analysis parameters over those of the protocol
    and cell (:func:`analysis_request`); when the analysis cannot be specified the file is
    registered without a job and ``analysis_refused`` says why. Sending the same content to the same run again returns the existing file and
    job (``created`` is False) and queues nothing.
    """
    extension = Extension.for_run(test_run, base)
    if base is not None and offset is not None:
        blob = store_appended_version(
            base,
            offset,
            chunks,
            expected_sha256=expected_sha256,
            max_bytes=max_bytes,
            prefix_sizes=extension.prefix_sizes,
        )
    else:
        blob = store_chunks(
            chunks,
            expected_sha256=expected_sha256,
            max_bytes=max_bytes,
            prefix_sizes=extension.prefix_sizes,
        )
    extends = extension.extended(blob)
    fields: dict[str, Any] = {
        "test_run": test_run,
        "blob": blob,
        "original_name": original_name,
        "user": user,
        "source": source,
        "format": format,
        "parameters": parameters,
    }
    try:
        return _register_blob(extends=extends, **fields)
    except NextVersionTaken:
        if base is not None:
            raise  # append mode: the client resynchronises (409)
        # a whole-file upload whose base was extended by another upload at the same moment:
        # the content stays, as a file of its own (version 1, analysed whole)
        return _register_blob(extends=None, **fields)


def _register_blob(
    *,
    test_run: m.TestRun,
    blob: StoredBlob,
    extends: m.DataFile | None = None,
    original_name: str,
    user: Any,
    source: str,
    format: str,
    parameters: dict[str, Any] | None,
) -> Registered:

    existing = m.DataFile.objects.filter(test_run=test_run, sha256=blob.sha256).first()
    if existing is not None:
        return Registered(existing, _job_again(existing, user), created=False)
    blocks = version_blocks(blob, extends)
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
                extends=extends,
                version=extends.version + 1 if extends is not None else 1,
                block_sha256=blocks,
                sha256_state=blob.sha256_state,
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
                    "extends": str(extends.pk) if extends is not None else None,
                    "version": data_file.version,
                },
            )
            refused = ""
            job: m.AnalysisJob | None = None
            try:
                kind, params = analysis_request(test_run, parameters)
                job, _ = job_request(data_file=data_file, kind=kind, parameters=params, user=user)
            except ValidationError as exc:
                refused = "; ".join(_messages(exc))
                audit(
                    project=test_run.project,
                    action="analysis.refused",
                    user=user,
                    target=data_file,
                    details={"reason": refused},
                )
    except IntegrityError:
        # A concurrent request registered the same content first, or another version took
        # the place after ``extends`` (one next version per file).
        existing = m.DataFile.objects.filter(test_run=test_run, sha256=blob.sha256).first()
        if existing is not None:
            return Registered(existing, existing.jobs.order_by("queued_at").first(), created=False)
        newer = m.DataFile.objects.filter(extends=extends).first() if extends else None
        if newer is None:
            raise
        raise NextVersionTaken(extends, newer) from None
    return Registered(data_file, job, created=True, analysis_refused=refused)


def _job_again(data_file: m.DataFile, user: Any) -> m.AnalysisJob | None:
    """The file's first job; when it failed, the same analysis asked for again (a new
    attempt where the idempotency key allows one: sending a file again is how a user retries
    after, say, a damaged stored copy), unless another analysis of the file succeeded."""
    job = data_file.jobs.order_by("queued_at").first()
    succeeded = data_file.jobs.filter(status=m.AnalysisJob.Status.SUCCEEDED)
    if job is not None and job.status == m.AnalysisJob.Status.FAILED and succeeded.exists():
        # the file was analysed as what it holds (a cycling file in an in-situ EIS run gets
        # its cycling analysis after the protocol's failed): nothing to retry
        return succeeded.order_by("queued_at").first()
    if job is not None and job.status == m.AnalysisJob.Status.FAILED:
        # parameters today's pipeline refuses (ValidationError): the failed job stays
        with contextlib.suppress(ValidationError):
            job, _ = job_request(
                data_file=data_file, kind=job.kind, parameters=job.parameters, user=user
            )
    return job


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()]
    return list(exc.messages)
