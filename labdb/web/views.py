"""Catalog pages: list, detail, create and edit for every entity, plus the home page."""

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
from labdb.models import UserProfile
from labdb.selectors import catalog as catalog_selectors
from labdb.selectors.access import get_visible, visible
from labdb.selectors.lineage import lineage
from labdb.selectors.results import active_jobs
from labdb.services.catalog import ComponentSpec, batch_save, formulation_save, record_save
from labdb.services.history import history_for
from labdb.units import KINDS
from labdb.web import forms as f
from labdb.web.entities import ENTITIES, Entity, url_for
from labdb.web.fields import QuantityField, remember_units
from labdb.web.lineage import lineage_svg, record_text, record_url

PAGE_SIZE = 50


def _entity(slug: str) -> Entity:
    try:
        return ENTITIES[slug]
    except KeyError as exc:
        raise Http404(slug) from exc


def _profile(request: HttpRequest) -> UserProfile:
    profile, _ = UserProfile.objects.get_or_create(user=request.user)  # type: ignore[misc]
    return profile


@login_required
def home(request: HttpRequest) -> HttpResponse:
    counts = [(e, visible(e.model, request.user).count()) for e in ENTITIES.values()]
    recent_runs = (
        visible(m.TestRun, request.user)
        .select_related("cell", "protocol")
        .order_by("-created_at")[:10]
    )
    recent_changes = m.HistoryEntry.objects.filter(
        project__memberships__user=request.user
    ).select_related("user")[:15]
    return render(
        request,
        "home.html",
        {
            "counts": counts,
            "recent_runs": recent_runs,
            "recent_changes": recent_changes,
            "alerts": home_alerts(request.user),
            "active_jobs": active_jobs(request.user),
        },
    )


def home_alerts(user: Any) -> list[dict[str, str]]:
    """What needs attention: a failed storage check, failed jobs, detected short circuits."""
    alerts: list[dict[str, str]] = []
    check = m.StorageCheck.objects.first()
    if check is not None and not check.ok:
        names = ", ".join(p["sha256"][:12] for p in check.problems[:5])
        alerts.append(
            {
                "level": "error",
                "text": f"Storage check of {check.finished_at:%Y-%m-%d %H:%M} found "
                f"{len(check.problems)} damaged or missing file(s): {names}",
                "url": "",
            }
        )
    for job in (
        visible(m.AnalysisJob, user)
        .filter(status="failed")
        .select_related("data_file__test_run")[:10]
    ):
        alerts.append(
            {
                "level": "error",
                "text": f"Analysis of {job.data_file.original_name} on "
                f"{job.data_file.test_run.label} failed: {job.error[:200]}",
                "url": f"/test-runs/{job.data_file.test_run_id}/",
            }
        )
    for result in (
        visible(m.AnalysisResult, user)
        .filter(short_circuit_cycle__isnull=False)
        .select_related("test_run")[:10]
    ):
        alerts.append(
            {
                "level": "warning",
                "text": f"Short circuit detected on {result.test_run.label} at cycle "
                f"{result.short_circuit_cycle}",
                "url": f"/test-runs/{result.test_run_id}/",
            }
        )
    return alerts


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
    prefs = _profile(request).unit_preferences
    rows = [(obj, [_cell_value(obj, c, prefs) for c in entity.columns]) for obj in page]
    headers = [_column_label(entity.model, c) for c in entity.columns]
    if entity.slug == "cells":
        from labdb.web.dashboards import cell_list_columns

        headers, rows = cell_list_columns(request.user, headers, rows)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "catalog/list.html",
        {
            "entity": entity,
            "page": page,
            "rows": rows,
            "headers": headers,
            "q": q,
            "filters": active_filters,
            "querystring": query.urlencode(),
        },
    )


#: Model float fields that hold quantities, and their kinds (for display in preferred units).
DISPLAY_QUANTITIES: dict[str, str] = {
    "d10_nm": "particle_size",
    "d50_nm": "particle_size",
    "d90_nm": "particle_size",
    "target_thickness_um": "thickness",
    "measured_thickness_um": "thickness",
    "electrolyte_thickness_um": "thickness",
    "areal_loading_mg_cm2": "areal_loading",
    "cathode_loading_mg_cm2": "areal_loading",
    "area_cm2": "area",
    "stack_pressure_mpa": "pressure",
    "gap_um": "thickness",
    "temperature_c": "temperature",
    "duration_h": "duration",
    "pressure_mpa": "pressure",
}


def _column_label(model: type[Model], name: str) -> str:
    label = str(model._meta.get_field(name).verbose_name)
    if name in DISPLAY_QUANTITIES:
        label = label.split(" (")[0]
    return label


def _cell_value(obj: Model, name: str, prefs: dict[str, str]) -> Any:
    from labdb.units import format_quantity

    value = getattr(obj, name)
    if name in DISPLAY_QUANTITIES and value is not None:
        kind = DISPLAY_QUANTITIES[name]
        return format_quantity(value, kind, prefs.get(kind))
    display = getattr(obj, f"get_{name}_display", None)
    if display is not None:
        return display()
    if isinstance(value, Model):
        return {"label": str(value), "url": url_for(value)}
    return "" if value is None else value


def _detail_fields(obj: Model, prefs: dict[str, str]) -> list[tuple[str, Any]]:
    out = []
    for field in obj._meta.concrete_fields:
        if field.name in {"id", "properties", "parameters"}:
            continue
        value = _cell_value(obj, field.name, prefs)
        if value in ("", None):
            continue
        out.append((_column_label(type(obj), field.name), value))
    return out


@login_required
def record_detail(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    entity = _entity(slug)
    obj = get_visible(entity.model, request.user, key)
    return render(request, "catalog/detail.html", detail_context(request, entity, obj))


def detail_context(request: HttpRequest, entity: Entity, obj: Model) -> dict[str, Any]:
    """What the generic detail page shows (fields, lineage, history, ...); dashboards that
    extend it (cells, batches) start from this."""
    prefs = _profile(request).unit_preferences
    up = lineage(obj, request.user, direction="up")
    down = lineage(obj, request.user, direction="down")
    context: dict[str, Any] = {
        "entity": entity,
        "obj": obj,
        "fields": _detail_fields(obj, prefs),
        "upstream": [(role, r, url_for(r)) for role, r in catalog_selectors.upstream(obj)],
        "lineage_up": _lineage_list(up),
        "lineage_down": _lineage_list(down),
        "lineage_svg": lineage_svg(obj, up, down),
        "history": history_for(obj)[:100],  # type: ignore[arg-type]
    }
    if isinstance(obj, m.TestRun):
        context["is_run"] = True
        context["files"] = obj.files.all()
        context["jobs"] = m.AnalysisJob.objects.filter(data_file__test_run=obj).select_related(
            "data_file"
        )
        context["results"] = obj.results.select_related("job").order_by("-created_at")
    if isinstance(obj, m.MaterialLot | m.ElectrodeBatch):
        from labdb.web.attachments import AttachmentForm

        context["attachments"] = obj.attachments.all()
        context["attachment_form"] = AttachmentForm()
    if isinstance(obj, m.MaterialLot):
        context["properties"] = _lot_properties(obj, prefs)
    if isinstance(obj, m.TestProtocol):
        context["properties"] = _protocol_parameters(obj, prefs)
    if isinstance(obj, m.Formulation):
        context["components"] = obj.components.select_related("lot__material")
        context["frozen"] = obj.is_frozen
    if isinstance(obj, m.ElectrodeBatch):
        context["steps"] = [(s, _detail_fields(s, prefs)[2:]) for s in obj.steps.all()]
    if isinstance(obj, m.Cell):
        context["qr_svg"] = _qr_svg(request.build_absolute_uri(url_for(obj)))
    return context


def _lineage_list(lin: Any) -> list[tuple[str, list[tuple[str, str | None, int]]]]:
    return [
        (name, [(record_text(r), record_url(r), depth) for r, depth in records])
        for name, records in lin.by_type()
    ]


def _lot_properties(lot: m.MaterialLot, prefs: dict[str, str]) -> list[tuple[str, str]]:
    from labdb.units import format_quantity

    spec = m.LOT_PROPERTIES.get(lot.material.category, {})
    out = []
    for key, value in (lot.properties or {}).items():
        label, kind, _ = spec.get(key, (key, None, ()))
        shown = format_quantity(value, kind, prefs.get(kind)) if kind else value
        out.append((label, shown))
    return out


def _protocol_parameters(protocol: m.TestProtocol, prefs: dict[str, str]) -> list[tuple[str, str]]:
    from labdb.protocols import PARAMETERS
    from labdb.units import format_quantity

    out = []
    for key, value in (protocol.parameters or {}).items():
        p = PARAMETERS.get(key)
        if p is None:
            out.append((key, str(value)))
        elif p.quantity in KINDS:
            out.append((p.label, format_quantity(value, p.quantity, prefs.get(p.quantity))))
        elif p.quantity == "list":
            out.append((p.label, ", ".join(f"{v:g}" for v in value)))
        else:
            out.append((p.label, f"{value:g}"))
    return out


def _qr_svg(url: str) -> str:
    import segno

    return str(segno.make(url, error="m").svg_inline(scale=3, omitsize=False))


def _save_prefs(request: HttpRequest, form: Any) -> None:
    profile = _profile(request)
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
    prefs = _profile(request).unit_preferences
    form = entity.form(
        request.POST or None, instance=instance, user=request.user, unit_preferences=prefs
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
    prefs = _profile(request).unit_preferences
    form = f.FormulationForm(
        request.POST or None, instance=instance, user=request.user, unit_preferences=prefs
    )
    formset = f.ComponentFormSetFactory(
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
            "formset_title": "Components (mass fractions must sum to 100 wt%)",
        },
    )


def _batch_edit(request: HttpRequest, entity: Entity, instance: Model | None) -> HttpResponse:
    prefs = _profile(request).unit_preferences
    form = f.ElectrodeBatchForm(
        request.POST or None, instance=instance, user=request.user, unit_preferences=prefs
    )
    formset = f.ProcessStepFormSetFactory(
        request.POST or None, instance=instance or m.ElectrodeBatch(), prefix="steps"
    )
    for step_form in formset.forms:
        for field in step_form.fields.values():
            if isinstance(field, QuantityField):
                field.preferred_unit = prefs.get(field.kind)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        steps = [
            {k: v for k, v in d.items() if k in f.STEP_FIELDS and v is not None}
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
        },
    )


@login_required
def record_history(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """The record's full history as CSV (exportable audit trail)."""
    import csv
    import json

    entity = _entity(slug)
    obj = get_visible(entity.model, request.user, key)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{obj}-history.csv"'
    writer = csv.writer(response)
    writer.writerow(["at", "user", "action", "changes"])
    for h in history_for(obj):  # type: ignore[arg-type]
        writer.writerow([h.at.isoformat(), h.user or "", h.action, json.dumps(h.changes)])
    return response
