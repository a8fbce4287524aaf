"""Uploading and downloading attachments of lots and electrode batches.

An attachment is always a download, never a page of this site: ``Content-Disposition:
attachment``, the type sniffed on the server (HTML and SVG come back as text/plain),
``X-Content-Type-Options: nosniff`` and a Content-Security-Policy that sandboxes the response
and lets it load nothing, should a browser render it anyway. The stored bytes are re-hashed
before they are served, as API downloads are: a damaged file is refused, never served."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from labdb import models as m
from labdb.selectors.access import get_visible, projects_for
from labdb.services.attachments import (
    attachment_add,
    attachment_content_type,
    attachment_remove,
)
from labdb.storage import open_blob
from labdb.web.entities import url_for

OWNERS = {"lots": m.MaterialLot, "batches": m.ElectrodeBatch}

#: The policy of served user files: a unique origin without scripts, plugins or forms, that
#: loads nothing (the site-wide policy of labdb.settings is left off these responses).
SANDBOX_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'"


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(choices=m.Attachment.Kind.choices)
    description = forms.CharField(required=False, max_length=200)
    file = forms.FileField()


@login_required
@require_POST
def attachment_upload(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    if slug not in OWNERS:
        raise Http404(slug)
    owner = get_visible(OWNERS[slug], request.user, key)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return redirect(url_for(owner))
    upload = form.cleaned_data["file"]
    attachment = attachment_add(
        owner=owner,
        kind=form.cleaned_data["kind"],
        chunks=upload.chunks(),
        original_name=upload.name,
        description=form.cleaned_data["description"],
        user=request.user,
    )
    messages.success(
        request, f"Attached {attachment.original_name} (sha256 {attachment.sha256[:12]}…)."
    )
    return redirect(url_for(owner))


def _visible_attachment(request: HttpRequest, pk: int) -> m.Attachment:
    """The attachment ``pk`` of a lot or batch in one of the user's projects, else 404."""
    projects = projects_for(request.user)
    attachment = (
        m.Attachment.objects.filter(pk=pk)
        .filter(Q(lot__project__in=projects) | Q(batch__project__in=projects))
        .first()
    )
    if attachment is None:
        raise Http404("no such attachment")
    return attachment


@login_required
@require_POST
def attachment_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = _visible_attachment(request, pk)
    owner = attachment.lot or attachment.batch
    try:
        attachment_remove(
            attachment=attachment, reason=request.POST.get("reason", ""), user=request.user
        )
    except ValidationError as exc:
        messages.error(request, "Not removed: " + " ".join(exc.messages))
    else:
        messages.success(request, f"Removed {attachment.original_name} (kept in the history).")
    return redirect(url_for(owner))  # type: ignore[arg-type]


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = _visible_attachment(request, pk)
    response = FileResponse(
        # re-hashed first: a damaged file is refused (503 stored_file_damaged, labdb.errors)
        open_blob(attachment.sha256),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment_content_type(attachment),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_POLICY
    return response
