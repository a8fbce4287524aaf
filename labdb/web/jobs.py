"""The jobs page: every analysis job with its status and progress (polled as JSON), the error
of a failed one, and re-running a job with changed parameters."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from labdb import models as m
from labdb.selectors.access import visible
from labdb.selectors.queues import queue_overview
from labdb.selectors.results import jobs_for
from labdb.services.jobs import job_rerun

PAGE_SIZE = 50


def job_json(job: m.AnalysisJob) -> dict[str, Any]:
    return {
        "id": str(job.pk),
        "status": job.status,
        "progress": job.progress,
        "error": job.error,
        "finished": job.is_finished,
        "url": f"/jobs/{job.pk}/",
    }


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    page = Paginator(jobs_for(request.user, status=status, kind=kind), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "jobs/list.html",
        {
            "page": page,
            "status": status,
            "kind": kind,
            "statuses": m.AnalysisJob.Status.choices,
            "overview": queue_overview(),
            "kinds": sorted(
                set(visible(m.AnalysisJob, request.user).values_list("kind", flat=True))
            ),
        },
    )


@login_required
def job_status(request: HttpRequest) -> JsonResponse:
    """Status and progress of the jobs named in ``ids`` (comma-separated), for polling."""
    ids = [i for i in request.GET.get("ids", "").split(",") if i][:200]
    jobs = visible(m.AnalysisJob, request.user).filter(pk__in=_uuids(ids))
    return JsonResponse({"jobs": [job_json(j) for j in jobs]})


def _uuids(ids: list[str]) -> list[str]:
    import uuid

    out = []
    for i in ids:
        try:
            out.append(str(uuid.UUID(i)))
        except ValueError:
            continue
    return out


def _job(request: HttpRequest, pk: Any) -> m.AnalysisJob:
    from django.http import Http404

    job = (
        visible(m.AnalysisJob, request.user)
        .select_related("data_file__test_run__cell", "data_file__test_run__electrode_batch")
        .filter(pk=pk)
        .first()
    )
    if job is None:
        raise Http404("no such job")
    return job


@login_required
def job_detail(request: HttpRequest, pk: Any, form_text: str = "", error: str = "") -> HttpResponse:
    job = _job(request, pk)
    result = m.AnalysisResult.objects.filter(job=job).first()
    return render(
        request,
        "jobs/detail.html",
        {
            "job": job,
            "result": result,
            "run": job.data_file.test_run,
            "parameters_json": json.dumps(job.parameters, indent=2, sort_keys=True),
            "form_text": form_text or json.dumps(job.parameters, indent=2, sort_keys=True),
            "form_error": error,
            "timings": job.timings,
            "other_jobs": visible(m.AnalysisJob, request.user)
            .filter(data_file=job.data_file)
            .exclude(pk=job.pk),
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def job_rerun_view(request: HttpRequest, pk: Any) -> HttpResponse:
    """Re-run with the parameters posted as a JSON object (overrides of the job's)."""
    job = _job(request, pk)
    text = request.POST.get("parameters", "").strip() or "{}"
    try:
        overrides = json.loads(text)
        if not isinstance(overrides, dict):
            raise ValueError('expected a JSON object such as {"cell_type": "half"}')
        new, created = job_rerun(job=job, parameters=overrides, user=request.user)
    except json.JSONDecodeError as exc:
        return job_detail(request, pk, text, f"Not valid JSON: {exc.msg} (line {exc.lineno})")
    except ValueError as exc:
        return job_detail(request, pk, text, str(exc))
    except ValidationError as exc:
        detail = "; ".join(
            f"{k}: {' '.join(v)}" for k, v in getattr(exc, "message_dict", {}).items()
        ) or " ".join(exc.messages)
        return job_detail(request, pk, text, f"Parameters refused: {detail}")
    if not created:
        messages.info(request, "Same parameters as an existing job: nothing new to run.")
    else:
        messages.success(request, f"Re-run queued as job {str(new.pk)[:8]}.")
    return redirect(f"/jobs/{new.pk}/")
