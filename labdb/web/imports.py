"""Bulk import pages for lots and cells, and their downloadable templates."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from labdb.services.imports import TEMPLATES, ImportFailed, bulk_import, template_csv
from labdb.web.entities import ENTITIES
from labdb.web.forms import BulkImportForm


@login_required
def import_template(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in TEMPLATES:
        raise Http404(slug)
    response = HttpResponse(template_csv(slug), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="labdb-{slug}-template.csv"'
    return response


@login_required
def import_file(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in TEMPLATES:
        raise Http404(slug)
    entity = ENTITIES[slug]
    form = BulkImportForm(request.POST or None, request.FILES or None, user=request.user)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            created = bulk_import(
                kind=slug,
                fileobj=upload.file,
                filename=upload.name,
                project=form.cleaned_data["project"],
                user=request.user,
            )
        except ImportFailed as exc:
            errors = exc.errors
        else:
            messages.success(request, f"Imported {len(created)} {entity.verbose_name_plural}.")
            return redirect(f"/{slug}/")
    return render(
        request,
        "catalog/import.html",
        {"entity": entity, "form": form, "errors": errors},
        status=400 if errors or form.errors else 200,
    )
