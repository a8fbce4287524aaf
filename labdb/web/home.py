"""The home page: what the person needs next, each item dismissable (running tests, new
results, what needs attention), not a log of every change. The storage check's failure stays
until the store is repaired. The person's unread alerts come first (dismissed on /alerts/)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from labdb import models as m
from labdb.selectors.access import visible
from labdb.selectors.alerts import unread_for
from labdb.selectors.results import active_jobs
from labdb.web.entities import ENTITIES
from labdb.web.flags import pct

#: at most this many items per list
SHOWN = 8


def _dismissed(user: Any) -> set[str]:
    return set(m.Dismissal.objects.filter(user=user).values_list("key", flat=True))


def attention(user: Any, dismissed: set[str]) -> list[dict[str, str]]:
    """What needs attention: a failed storage check (not dismissable), failed analyses and
    detected short circuits (each dismissable)."""
    items: list[dict[str, str]] = []
    check = m.StorageCheck.objects.first()
    if check is not None and not check.ok:
        names = ", ".join(p["sha256"][:12] for p in check.problems[:5])
        items.append(
            {
                "level": "error",
                "text": f"Storage check of {check.finished_at:%Y-%m-%d %H:%M} found "
                f"{len(check.problems)} damaged or missing file(s): {names}",
                "url": "",
                "key": "",
            }
        )
    for job in (
        visible(m.AnalysisJob, user)
        .filter(status="failed")
        .select_related("data_file__test_run")
        .order_by("-finished_at")[:50]
    ):
        key = f"job:{job.pk}"
        if key not in dismissed and len(items) < SHOWN:
            items.append(
                {
                    "level": "error",
                    "text": f"Analysis of {job.data_file.original_name} on "
                    f"{job.data_file.test_run.label} failed: {job.error[:200]}",
                    "url": f"/test-runs/{job.data_file.test_run_id}/",
                    "key": key,
                }
            )
    for result in (
        visible(m.AnalysisResult, user)
        .filter(short_circuit_cycle__isnull=False, job__data_file__removal__isnull=True)
        .select_related("test_run")[:50]
    ):
        key = f"short:{result.pk}"
        if key not in dismissed and len(items) < 2 * SHOWN:
            items.append(
                {
                    "level": "warning",
                    "text": f"Short circuit detected on {result.test_run.label} at cycle "
                    f"{result.short_circuit_cycle}",
                    "url": f"/test-runs/{result.test_run_id}/",
                    "key": key,
                }
            )
    return items


def new_results(user: Any, dismissed: set[str]) -> list[dict[str, Any]]:
    out = []
    for r in (
        visible(m.AnalysisResult, user)
        .filter(job__data_file__removal__isnull=True)
        .select_related("test_run", "job__data_file")
        .order_by("-created_at")[:40]
    ):
        key = f"result:{r.pk}"
        if key in dismissed:
            continue
        summary = ""
        if r.kind == "cycling":
            summary = f"{r.cycle_count} cycles, ICE {pct(r.initial_coulombic_efficiency)}"
        out.append({"result": r, "summary": summary, "key": key})
        if len(out) >= SHOWN:
            break
    return out


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    dismissed = _dismissed(user)
    running = (
        visible(m.TestRun, user)
        .filter(status=m.TestRun.Status.RUNNING)
        .select_related("cell", "electrode_batch", "protocol")
        .order_by("-updated_at")[:SHOWN]
    )
    return render(
        request,
        "home.html",
        {
            "counts": [(e, visible(e.model, user).count()) for e in ENTITIES.values()],
            "attention": attention(user, dismissed),
            "running": running,
            "new_results": new_results(user, dismissed),
            "active_jobs": active_jobs(user),
            "alert_items": unread_for(user)[:10],
        },
    )


@login_required
@require_POST
def dismiss(request: HttpRequest) -> HttpResponse:
    key = request.POST.get("key", "")[:120]
    if key:
        m.Dismissal.objects.get_or_create(user=request.user, key=key)  # type: ignore[misc]
    target = request.POST.get("next", "/")
    return redirect(
        target if url_has_allowed_host_and_scheme(target, {request.get_host()}) else "/"
    )
