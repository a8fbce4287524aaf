"""Faults of the machine, answered as such: a full or read-only file store, a damaged stored
file and an unreachable database give a clear 507 or 503 to people and to API clients, never
a bare 500.

| fault | status | code |
| --- | --- | --- |
| no space left (ENOSPC, EDQUOT, EFBIG; SQLite "disk is full") | 507 | ``storage_full`` |
| the store is read-only or not writable (EROFS; EACCES/EPERM under the data folder) | 503 | ``storage_read_only`` |
| a stored file no longer matches its sha256 (:class:`labdb.storage.BlobCorrupt`) | 503 | ``stored_file_damaged`` |
| the database cannot be reached (a restart) | 503 | ``database_unavailable`` |
| the S3 object store cannot be reached or refuses the request (``LABDB_BLOB_STORE``) | 503 | ``object_store_unavailable`` |

Whatever the request was writing is left out whole: blobs are written to a temporary file and
moved into place only when complete, and the database transaction is rolled back. 503 answers
carry ``Retry-After``.
"""

from __future__ import annotations

import errno
import html
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from labdb.storage import BlobCorrupt

log = logging.getLogger(__name__)

FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
READ_ONLY = {errno.EROFS}
NOT_WRITABLE = {errno.EACCES, errno.EPERM}
RETRY_AFTER_S = 30


def _under_data_dir(filename: Any) -> bool:
    if not filename:
        return False
    try:
        path = Path(str(filename)).resolve()
        roots = {Path(settings.DATA_DIR).resolve(), Path(settings.BLOB_DIR).resolve()}
    except (OSError, AttributeError):
        return False
    return any(path == root or root in path.parents for root in roots)


def fault_of(exc: BaseException) -> tuple[int, str, str] | None:
    """``(status, code, message)`` for a fault of the machine, None for anything else."""
    if isinstance(exc, BlobCorrupt):
        return 503, "stored_file_damaged", str(exc)
    if isinstance(exc, OSError) and exc.errno is not None:
        if exc.errno in FULL:
            return (
                507,
                "storage_full",
                "the file store is full; nothing was stored, try again later",
            )
        if exc.errno in READ_ONLY or (exc.errno in NOT_WRITABLE and _under_data_dir(exc.filename)):
            return (
                503,
                "storage_read_only",
                "the file store is read-only at the moment; nothing was stored, try again later",
            )
    if type(exc).__module__.startswith(("botocore.", "boto3.", "s3transfer.")):
        return (
            503,
            "object_store_unavailable",
            "the object store is unavailable; nothing was stored, try again shortly",
        )
    if isinstance(exc, OperationalError) and "disk is full" in str(exc):
        return 507, "storage_full", "the database disk is full; nothing was stored"
    if isinstance(exc, (OperationalError, InterfaceError)):
        return 503, "database_unavailable", "the database is unavailable; try again shortly"
    return None


def fault_response(request: HttpRequest, exc: BaseException) -> HttpResponse | None:
    """The answer to ``exc`` for ``request`` (JSON for the API, a short page otherwise), or
    None when ``exc`` is not a fault of the machine."""
    fault = fault_of(exc)
    if fault is None:
        return None
    status, code, message = fault
    log.error("%s %s: %s (%s)", request.method, request.path, code, exc)
    wants_json = request.path.startswith("/api/") or "json" in request.headers.get("Accept", "")
    if wants_json:
        response = HttpResponse(
            json.dumps({"detail": message, "code": code}),
            status=status,
            content_type="application/json",
        )
    else:
        page = (
            "<!doctype html><title>labdb: not available</title>"
            f"<h1>{status}</h1><p>{html.escape(message)}</p>"
        )
        response = HttpResponse(page, status=status, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response


class FaultMiddleware:
    """Answers the faults of :func:`fault_of` raised by any view, web or API."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        return fault_response(request, exc)
