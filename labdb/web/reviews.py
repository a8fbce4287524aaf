"""A person's decisions about stored results, from the cell and test-run pages: accept an
implausible value (or withdraw the acceptance), reverse a detected short, remove a file
uploaded by mistake. Each asks for a reason; the services record it in the audit trail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from labdb import models as m
from labdb.selectors.access import get_visible, visible
from labdb.services import reviews
from labdb.web.entities import url_for


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect(default)


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, "Not done: " + " ".join(exc.messages))


@login_required
@require_POST
def flag_accept_view(request: HttpRequest, job: str, metric: str) -> HttpResponse:
    result = visible(m.AnalysisResult, request.user).filter(pk=job).first()
    if result is None:
        return HttpResponse(status=404)
    try:
        reviews.flag_accept(
            result=result, metric=metric, reason=request.POST.get("reason", ""), user=request.user
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"Accepted {metric}: it now counts in group statistics.")
    return _back(request, url_for(result.test_run))


@login_required
@require_POST
def flag_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    acceptance = visible(m.FlagAcceptance, request.user).filter(pk=pk).first()
    if acceptance is None:
        return HttpResponse(status=404)
    try:
        reviews.flag_withdraw(
            acceptance=acceptance, reason=request.POST.get("reason", ""), user=request.user
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"Withdrawn: {acceptance.metric} is left out again.")
    return _back(request, url_for(acceptance.result.test_run))


@login_required
@require_POST
def short_reverse_view(request: HttpRequest, key: str) -> HttpResponse:
    cell = get_visible(m.Cell, request.user, key)
    try:
        reviews.short_reverse(
            cell=cell,
            status=request.POST.get("status", ""),
            reason=request.POST.get("reason", ""),
            user=request.user,
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"{cell.label} is no longer marked shorted.")
    return redirect(url_for(cell))


@login_required
@require_POST
def file_remove_view(request: HttpRequest, pk: str) -> HttpResponse:
    data_file = get_visible(m.DataFile, request.user, pk)
    try:
        reviews.data_file_remove(
            data_file=data_file, reason=request.POST.get("reason", ""), user=request.user
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            f"Removed {data_file.original_name} from {data_file.test_run.label}; "
            "the file and its results stay stored.",
        )
    return redirect(url_for(data_file.test_run))
