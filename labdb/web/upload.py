"""Uploading a raw data file to a test run from the browser (drag and drop with a progress bar;
a plain form works without JavaScript). The bytes go through :func:`data_file_register`, which
computes the sha256 on the server, stores the file content-addressed and queues its analysis."""

from __future__ import annotations

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
    except (ChecksumMismatch, BlobTooLarge) as exc:
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
