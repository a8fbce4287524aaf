"""Export jobs on the pages: ask for a data package, a study report PDF or an RO-Crate of a
comparison's cells (a button posts the comparison's query), follow its progress (the page polls
``status.json`` from ``static/labdb/exports.js``: no inline script under the CSP) and download
the result once it is built. The work is :mod:`labdb.services.exports` on the ``exports``
queue; nothing heavy runs in the request.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import render
from django.views.decorators.http import require_POST

from labdb import models as m
from labdb.reports.selection import selection_of
from labdb.services.exports import export_request, export_visible
from labdb.storage import open_blob


def export_json(job: m.ExportJob) -> dict[str, Any]:
    """What a page or a client polls: state, progress, stage, reason, download address."""
    done = job.status == m.ExportJob.Status.SUCCEEDED
    return {
        "id": str(job.pk),
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "stage": job.stage,
        "error": job.error,
        "finished": job.is_finished,
        "file_name": job.file_name,
        "size_bytes": job.result_size_bytes,
        "sha256": job.result_sha256,
        "download": f"/exports/{job.pk}/download" if done else "",
    }


def _visible_job(request: HttpRequest, pk: Any) -> m.ExportJob:
    job = m.ExportJob.objects.filter(pk=pk).first()
    if job is None or not export_visible(job, request.user):
        raise Http404("no such export")
    return job


def request_export(request: HttpRequest, kind: str, data: QueryDict) -> HttpResponse:
    """Create (or find) the export of the selection in ``data`` and go to its page."""
    selection = selection_of(request.user, data)
    if not selection.cells:
        raise Http404("no cells to export")
    try:
        job, _ = export_request(kind=kind, selection=selection, user=request.user)
    except ValidationError as exc:
        return HttpResponseBadRequest("; ".join(exc.messages))
    return HttpResponseRedirect(f"/exports/{job.pk}/", status=303)


@login_required
@require_POST
def export_create(request: HttpRequest) -> HttpResponse:
    """POST ``export`` (package, report_pdf or crate) with the comparison's selection."""
    return request_export(request, request.POST.get("export", ""), request.POST)


@login_required
def export_list(request: HttpRequest) -> HttpResponse:
    jobs = m.ExportJob.objects.filter(requested_by=request.user)[:100]
    return render(request, "exports/list.html", {"jobs": jobs})


@login_required
def export_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    job = _visible_job(request, pk)
    return render(
        request,
        "exports/detail.html",
        {
            "job": job,
            "cells": job.inputs.get("cells", []),
            "results": len(job.inputs.get("results", [])),
            "provenance_json": json.dumps(job.provenance, indent=2, ensure_ascii=False),
            "parameters_json": json.dumps(job.parameters, indent=2, ensure_ascii=False),
        },
    )


@login_required
def export_status(request: HttpRequest, pk: Any) -> JsonResponse:
    return JsonResponse(export_json(_visible_job(request, pk)))


@login_required
def export_download(request: HttpRequest, pk: Any) -> HttpResponse:
    """The built file, re-hashed on the way out (a damaged blob answers 503, see errors.py)."""
    job = _visible_job(request, pk)
    if job.status != m.ExportJob.Status.SUCCEEDED:
        raise Http404(f"the export is {job.status}, not ready to download")
    response = FileResponse(
        open_blob(job.result_sha256),
        as_attachment=True,
        filename=job.file_name,
        content_type=job.content_type,
    )
    response["ETag"] = f'"{job.result_sha256}"'
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response
