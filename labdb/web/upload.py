"""Uploading a raw data file to a test run from the browser (drag and drop with a progress bar;
a plain form works without JavaScript). The bytes go through :func:`data_file_register`, which
computes the sha256 on the server, stores the file content-addressed and queues its analysis.

A body larger than ``LABDB_MAX_UPLOAD_BYTES`` is refused with 413: from its declared length by
:class:`RequestSizeLimitMiddleware` before anything reads it (the CSRF check would otherwise
parse the whole form first), else by the blob store as the bytes arrive."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from labdb import models as m
from labdb.selectors.access import visible
from labdb.services.ingest import data_file_register
from labdb.storage import BlobTooLarge, ChecksumMismatch


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


#: Room for the multipart boundaries and the other form fields around the file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


def _size(n: int) -> str:
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= factor:
            return f"{n / factor:.3g} {unit}"
    return f"{n} bytes"


def too_large_message(limit: int) -> str:
    return f"the upload is larger than the limit of {limit} bytes ({_size(limit)})"


class RequestSizeLimitMiddleware:
    """Answer 413 to a request whose declared body is larger than an upload may be, before any
    middleware or view reads the body. Placed before the CSRF check, which parses a form. The
    API (csrf-exempt, parsed only when a view asks) refuses such bodies itself, in its own
    error format (labdb.api.uploads)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        limit = settings.MAX_UPLOAD_BYTES
        if declared > limit + MULTIPART_OVERHEAD_BYTES and not request.path_info.startswith(
            "/api/"
        ):
            return JsonResponse({"error": too_large_message(limit)}, status=413)
        return self.get_response(request)


def _error(request: HttpRequest, message: str, runs: Any, status: int = 400) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": message}, status=status)
    return render(
        request,
        "jobs/upload.html",
        {"runs": runs, "error": message, "selected": request.POST.get("test_run", "")},
        status=status,
    )


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    runs = visible(m.TestRun, request.user).select_related("cell", "electrode_batch", "protocol")
    runs = runs.order_by("-created_at")
    if request.method != "POST":
        return render(
            request,
            "jobs/upload.html",
            {
                "runs": runs,
                "selected": request.GET.get("run", ""),
                "max_bytes": settings.MAX_UPLOAD_BYTES,
            },
        )
    run = runs.filter(pk=_uuid(request.POST.get("test_run", ""))).first()
    if run is None:
        return _error(request, "Choose one of your test runs.", runs)
    uploaded = request.FILES.get("file")
    if uploaded is None:
        return _error(request, "Choose a file to upload.", runs)
    try:
        registered = data_file_register(
            test_run=run,
            chunks=uploaded.chunks(),
            original_name=uploaded.name or "upload",
            user=request.user,
            source=m.DataFile.Source.WEB,
            expected_sha256=request.POST.get("sha256") or None,
            max_bytes=settings.MAX_UPLOAD_BYTES,
        )
    except BlobTooLarge:
        message = f"{uploaded.name}: {too_large_message(settings.MAX_UPLOAD_BYTES)}"
        return _error(request, message, runs, status=413)
    except ChecksumMismatch as exc:
        return _error(request, f"{uploaded.name}: {exc}", runs)
    except ValidationError as exc:
        return _error(request, f"{uploaded.name}: {' '.join(exc.messages)}", runs)
    job = registered.job
    if job is not None:
        job.refresh_from_db()
    body = {
        "data_file": str(registered.data_file.pk),
        "name": registered.data_file.original_name,
        "sha256": registered.data_file.sha256,
        "created": registered.created,
        "test_run": run.label,
        "job": None
        if job is None
        else {
            "id": str(job.pk),
            "kind": job.kind,
            "status": job.status,
            "progress": job.progress,
            "error": job.error,
            "url": f"/jobs/{job.pk}/",
        },
    }
    if _wants_json(request):
        return JsonResponse(body, status=201 if registered.created else 200)
    if registered.created:
        messages.success(request, f"Registered {registered.data_file.original_name} on {run}.")
    else:
        messages.info(request, f"{run} already has this file (same sha256): nothing new.")
    return redirect(f"/jobs/{job.pk}/" if job is not None else f"/test-runs/{run.pk}/")


def _uuid(value: str) -> str | None:
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None
