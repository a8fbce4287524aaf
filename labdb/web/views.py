"""Catalog pages: list, detail, create and edit for every entity, plus the home page.

What a record's fields and detail page show is in :mod:`labdb.web.display`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from labdb import models as m
from labdb.selectors import catalog as catalog_selectors
from labdb.selectors.access import get_visible, visible
from labdb.services.catalog import ComponentSpec, batch_save, formulation_save, record_save
from labdb.services.history import history_for
from labdb.web import forms as f
from labdb.web.display import (
    cell_list_columns,
    cell_value,
    column_label,
    detail_context,
    user_profile,
)
from labdb.web.entities import ENTITIES, Entity, url_for
from labdb.web.fields import remember_units
from labdb.web.formsets import STEP_FIELDS, ComponentFormSetFactory, ProcessStepFormSetFactory

PAGE_SIZE = 50


def _entity(slug: str) -> Entity:
    try:
        return ENTITIES[slug]
    except KeyError as exc:
        raise Http404(slug) from exc


@login_required
def record_list(request: HttpRequest, slug: str) -> HttpResponse:
    entity = _entity(slug)
    qs = visible(entity.model, request.user)
    if entity.related:
        qs = qs.select_related(*entity.related)
    q = request.GET.get("q", "").strip()
    if q:
        qs = catalog_selectors.search(qs, entity.search, q)
    active_filters = []
    for flt in entity.filters:
        value = request.GET.get(flt.name, "")
        if value:
            qs = flt.apply(qs, value)
        active_filters.append((flt, value, flt.choices(request.user)))
    order = request.GET.get("order", "label")
    if order.lstrip("-") in entity.columns:
        qs = qs.order_by(order)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    prefs = user_profile(request).unit_preferences
    rows = [(obj, [cell_value(obj, c, prefs) for c in entity.columns]) for obj in page]
    headers = [column_label(entity.model, c) for c in entity.columns]
    if entity.slug == "cells":
        headers, rows = cell_list_columns(request.user, headers, rows)
    cells = [_row_cells(entity, obj, values) for obj, values in rows]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "catalog/list.html",
        {
            "entity": entity,
            "page": page,
            "rows": cells,
            "headers": headers,
            "q": q,
            "filters": active_filters,
            "querystring": query.urlencode(),
        },
    )


def _row_cells(entity: Entity, obj: Model, values: list[Any]) -> list[tuple[Any, str]]:
    """(text, link or "") of each column of a list row, the first linking to the record:
    the template loops over plain pairs (a 50-row page has 600 values, and a template's
    ``v.url`` on a text tries a dict, an attribute and an index before giving up)."""
    out = []
    for i, v in enumerate(values):
        if i == 0:
            out.append((v, f"/{entity.slug}/{obj.pk}/"))
        elif isinstance(v, dict) and v.get("url"):
            out.append((v["label"], v["url"]))
        else:
            out.append((v, ""))
    return out


@login_required
def record_detail(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    entity = _entity(slug)
    obj = get_visible(entity.model, request.user, key)
    return render(request, "catalog/detail.html", detail_context(request, entity, obj))


def _save_prefs(request: HttpRequest, form: Any) -> None:
    profile = user_profile(request)
    if remember_units(form, profile.unit_preferences):
        profile.save(update_fields=["unit_preferences"])


@login_required
def record_edit(request: HttpRequest, slug: str, key: str | None = None) -> HttpResponse:
    entity = _entity(slug)
    instance = get_visible(entity.model, request.user, key) if key else None
    if entity.slug == "formulations":
        return _formulation_edit(request, entity, instance)
    if entity.slug == "batches":
        return _batch_edit(request, entity, instance)
    prefs = user_profile(request).unit_preferences
    # links such as a cell's "new test run" fill fields of a new record (?cell=<uuid>)
    initial = {} if key else {k: v for k, v in request.GET.items() if k in entity.form.base_fields}
    form = entity.form(
        request.POST or None,
        instance=instance,
        user=request.user,
        unit_preferences=prefs,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            obj = record_save(record=form.instance, user=request.user)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            _save_prefs(request, form)
            messages.success(request, f"Saved {entity.verbose_name} {obj}.")
            return redirect(url_for(obj))
    return render(request, "catalog/form.html", {"entity": entity, "form": form, "obj": instance})


def _add_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _formulation_edit(request: HttpRequest, entity: Entity, instance: Model | None) -> HttpResponse:
    prefs = user_profile(request).unit_preferences
    form = f.FormulationForm(
        request.POST or None, instance=instance, user=request.user, unit_preferences=prefs
    )
    formset = ComponentFormSetFactory(
        request.POST or None,
        instance=instance or m.Formulation(),
        user=request.user,
        prefix="components",
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        components = [
            ComponentSpec(lot=d["lot"], role=d["role"], mass_fraction_pct=d["mass_fraction_pct"])
            for d in formset.cleaned_data
            if d and d.get("lot") and not d.get("DELETE")
        ]
        try:
            with transaction.atomic():
                obj = formulation_save(
                    formulation=form.instance, components=components, user=request.user
                )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            _save_prefs(request, form)
            if instance is not None and obj.pk != instance.pk:
                messages.info(
                    request,
                    f"{instance} is used by electrode batches and cannot change: "
                    f"your edit was saved as the new version {obj}.",
                )
            elif instance is None and obj.previous_version_id is not None:
                messages.info(
                    request,
                    f"Saved formulation {obj} as version {obj.version} of {obj.name} "
                    f"(follows {obj.previous_version}).",
                )
            else:
                messages.success(request, f"Saved formulation {obj}.")
            return redirect(url_for(obj))
    return render(
        request,
        "catalog/form.html",
        {
            "entity": entity,
            "form": form,
            "obj": instance,
            "formset": formset,
            "formset_title": "Components",
            "formset_kind": "components",
            "tolerance_pct": formset.tolerance_pct,
        },
    )


def _batch_edit(request: HttpRequest, entity: Entity, instance: Model | None) -> HttpResponse:
    prefs = user_profile(request).unit_preferences
    form = f.ElectrodeBatchForm(
        request.POST or None, instance=instance, user=request.user, unit_preferences=prefs
    )
    formset = ProcessStepFormSetFactory(
        request.POST or None,
        instance=instance or m.ElectrodeBatch(),
        prefix="steps",
        unit_preferences=prefs,
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        steps = [
            {k: v for k, v in d.items() if k in STEP_FIELDS and v is not None}
            for d in formset.cleaned_data
            if d and d.get("kind") and not d.get("DELETE")
        ]
        try:
            obj = batch_save(batch=form.instance, steps=steps, user=request.user)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            _save_prefs(request, form)
            messages.success(request, f"Saved electrode batch {obj}.")
            return redirect(url_for(obj))
    return render(
        request,
        "catalog/form.html",
        {
            "entity": entity,
            "form": form,
            "obj": instance,
            "formset": formset,
            "formset_title": "Process steps, in order",
            "formset_kind": "steps",
        },
    )


@login_required
def record_history(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """The record's full history as CSV (exportable audit trail)."""
    import csv
    import json

    from labdb.exports.spreadsheet import safe_row

    entity = _entity(slug)
    obj = get_visible(entity.model, request.user, key)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{obj}-history.csv"'
    writer = csv.writer(response)
    writer.writerow(["at", "user", "action", "changes"])
    for h in history_for(obj):  # type: ignore[arg-type]
        row = [h.at.isoformat(), h.user or "", h.action, json.dumps(h.changes)]
        writer.writerow(safe_row(row))
    return response
