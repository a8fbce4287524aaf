"""A test run's raw files from its page: download (re-hashed first), read again with a
chosen reader (a new parse and analysis; the earlier result kept as superseded), analyse again under another protocol or with other
settings. Removal (soft, audited) is in :mod:`labdb.web.reviews`."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from labdb import models as m
from labdb.selectors.access import get_visible, visible
from labdb.services.reanalysis import data_file_reanalyse, data_file_reparse, reader_choices
from labdb.storage import open_blob
from labdb.web.entities import url_for


class ReparseForm(forms.Form):
    format = forms.ChoiceField(label="Read as", choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["format"].choices = reader_choices()  # type: ignore[attr-defined]


class ReanalyseForm(forms.Form):
    protocol = forms.ModelChoiceField(
        queryset=m.TestProtocol.objects.none(), required=False, empty_label="the run's protocol"
    )
    parameters = forms.CharField(
        required=False,
        label="Settings (JSON, over the protocol's)",
        widget=forms.TextInput(attrs={"placeholder": '{"short_ce_threshold": 1.05}'}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocol"].queryset = visible(m.TestProtocol, user)  # type: ignore[attr-defined]

    def clean_parameters(self) -> dict[str, Any]:
        text = self.cleaned_data.get("parameters", "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"not JSON: {exc.msg} at character {exc.pos}") from exc
        if not isinstance(value, dict):
            raise ValidationError('an object of settings, e.g. {"name": 1.0}')
        return value


@login_required
def file_download(request: HttpRequest, pk: str) -> FileResponse:
    data_file = get_visible(m.DataFile, request.user, pk)
    response = FileResponse(
        open_blob(data_file.sha256),  # re-hashed first: a damaged file is refused
        as_attachment=True,
        filename=data_file.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _errors(request: HttpRequest, form: forms.Form | None, exc: ValidationError | None) -> None:
    texts = [] if exc is None else exc.messages
    if form is not None:
        texts += [f"{k}: {' '.join(v)}" for k, v in form.errors.items()]
    messages.error(request, "Not done: " + " ".join(texts))


@login_required
@require_POST
def file_reparse(request: HttpRequest, pk: str) -> HttpResponse:
    data_file = get_visible(m.DataFile, request.user, pk)
    form = ReparseForm(request.POST)
    if not form.is_valid():
        _errors(request, form, None)
    else:
        try:
            job, created = data_file_reparse(
                data_file=data_file, format=form.cleaned_data["format"], user=request.user
            )
        except ValidationError as exc:
            _errors(request, None, exc)
        else:
            said = (
                "a new analysis is" if created else "that reader's analysis exists already and is"
            )
            messages.success(
                request,
                f"{data_file.original_name} is read as {form.cleaned_data['format']}: "
                f"{said} {job.status}; earlier results are kept as superseded.",
            )
    return redirect(url_for(data_file.test_run))


@login_required
@require_POST
def file_reanalyse(request: HttpRequest, pk: str) -> HttpResponse:
    data_file = get_visible(m.DataFile, request.user, pk)
    form = ReanalyseForm(request.POST, user=request.user)
    if not form.is_valid():
        _errors(request, form, None)
        return redirect(url_for(data_file.test_run))
    try:
        job, created = data_file_reanalyse(
            data_file=data_file,
            protocol=form.cleaned_data["protocol"],
            parameters=form.cleaned_data["parameters"],
            user=request.user,
        )
    except ValidationError as exc:
        _errors(request, None, exc)
    else:
        said = "queued" if created else f"asked for already ({job.status})"
        messages.success(request, f"Analysis of {data_file.original_name} {said}.")
    return redirect(url_for(data_file.test_run))
