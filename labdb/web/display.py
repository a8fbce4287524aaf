"""How records are shown on pages: field values (quantities in the user's preferred units),
the generic detail page's context (which the cell and batch dashboards extend), and the cell
list's metric columns.

The catalog views (:mod:`labdb.web.views`) and the dashboards (:mod:`labdb.web.dashboards`)
both import from here; this module imports neither.
"""

from __future__ import annotations

from typing import Any

import segno
from django.db.models import Model
from django.http import HttpRequest

from labdb import models as m
from labdb.models import UserProfile
from labdb.models.quantities import quantity_kind
from labdb.protocols import PARAMETERS
from labdb.selectors import catalog as catalog_selectors
from labdb.selectors import results as sel
from labdb.selectors.access import visible
from labdb.selectors.lineage import lineage, record_text
from labdb.selectors.live import live_of_cells, live_time_text
from labdb.selectors.uncertainty import cycling_bounds
from labdb.services.history import history_for
from labdb.units import KINDS, format_quantity
from labdb.web.attachments import AttachmentForm
from labdb.web.entities import Entity, url_for
from labdb.web.flags import cycle_level_flags, pct, result_metric_rows
from labdb.web.history import history_rows
from labdb.web.lineage import lineage_svg, record_url
from labdb.web.runfiles import ReanalyseForm, ReparseForm


def user_profile(request: HttpRequest) -> UserProfile:
    profile, _ = UserProfile.objects.get_or_create(user=request.user)  # type: ignore[misc]
    return profile


def column_label(model: type[Model], name: str) -> str:
    label = str(model._meta.get_field(name).verbose_name)
    if quantity_kind(model, name):
        label = label.split(" (")[0]
    return label


def cell_value(obj: Model, name: str, prefs: dict[str, str]) -> Any:
    value = getattr(obj, name)
    kind = quantity_kind(obj, name)
    if kind and value is not None:
        return format_quantity(value, kind, prefs.get(kind))
    display = getattr(obj, f"get_{name}_display", None)
    if display is not None:
        return display()
    if isinstance(value, Model):
        return {"label": str(value), "url": url_for(value)}
    return "" if value is None else value


def cell_list_columns(
    user: Any, headers: list[str], rows: list[tuple[Any, list[Any]]]
) -> tuple[list[str], list[tuple[Any, list[Any]]]]:
    """The cell list's extra columns: ICE, average CE, cycles to short, and the live columns:
    running test runs, the time of the newest data, the live status."""
    metrics = sel.cell_metrics(user, [obj for obj, _ in rows])
    live = live_of_cells(user, [obj for obj, _ in rows])
    out = []
    for obj, values in rows:
        cm = metrics[obj.pk]
        short = "" if cm.short_circuit_cycle is None else cm.short_circuit_cycle
        lv = live[obj.pk]
        last = live_time_text(lv.last_data_at)
        running = "running" if lv.running else ""
        extra = [pct(cm.ice), pct(cm.average_ce, 3), short, running, last, lv.status]
        out.append((obj, [*values, *extra]))
    headers = [*headers, "ICE", "average CE", "short at cycle", "running", "last data"]
    return [*headers, "live status"], out


def _detail_fields(obj: Model, prefs: dict[str, str]) -> list[tuple[str, Any]]:
    out = []
    for field in obj._meta.concrete_fields:
        if field.name in {"id", "properties", "parameters"}:
            continue
        value = cell_value(obj, field.name, prefs)
        if value in ("", None):
            continue
        out.append((column_label(type(obj), field.name), value))
    return out


def detail_context(request: HttpRequest, entity: Entity, obj: Model) -> dict[str, Any]:
    """What the generic detail page shows (fields, lineage, history, ...); dashboards that
    extend it (cells, batches) start from this."""
    prefs = user_profile(request).unit_preferences
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
        "history": history_rows(history_for(obj)[:100]),  # type: ignore[arg-type]
    }
    if isinstance(obj, m.TestRun):
        context["is_run"] = True
        context.update(run_files_context(request, obj))
        context["jobs"] = m.AnalysisJob.objects.filter(data_file__test_run=obj).select_related(
            "data_file", "requested_by"
        )
        context["results"] = (
            obj.results.filter(job__data_file__removal__isnull=True)
            .select_related("job__data_file", "test_run__instrument")
            .order_by("-created_at")
        )
        # results kept but no longer the run's current one (another reader, protocol or
        # settings asked for later): shown, marked superseded
        current = {r.pk for r in sel.latest_per_run(context["results"])}
        context["superseded_jobs"] = {r.pk for r in context["results"] if r.pk not in current}
        context["cycling_metrics"] = [
            (r, result_metric_rows(r, cycling_bounds(r)), cycle_level_flags(r))
            for r in context["results"]
            if r.kind == "cycling"
        ]
        newest: dict[str, m.AnalysisResult] = {}
        for r in context["results"]:
            newest.setdefault(r.kind, r)
        context["conformance"] = list(newest.values())
    if isinstance(obj, m.MaterialLot | m.ElectrodeBatch):
        context["attachments"] = obj.attachments.all()
        context["attachment_form"] = AttachmentForm()
    if isinstance(obj, m.MaterialLot):
        from labdb.web.lots import CELL_COLUMNS, lot_cell_rows

        context["properties"] = _lot_properties(obj, prefs)
        context["lot_cells"] = lot_cell_rows(obj, request.user)
        context["lot_cell_columns"] = CELL_COLUMNS
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


def run_files_context(request: HttpRequest, run: m.TestRun) -> dict[str, Any]:
    """The test-run page's files (with the detected format, the reader chosen, the last
    job's state and any removal), the forms that act on them, and the links forward."""
    files = list(run.files.select_related("removal__removed_by", "uploaded_by"))
    tables: dict[Any, m.ParsedTable] = {}
    for t in m.ParsedTable.objects.filter(data_file__in=files).order_by("created_at"):
        tables[t.data_file_id] = t  # the newest wins
    jobs: dict[Any, m.AnalysisJob] = {}
    for j in m.AnalysisJob.objects.filter(data_file__in=files).order_by("queued_at"):
        jobs[j.data_file_id] = j
    chosen = {
        c.data_file_id: c.format
        for c in m.FormatChoice.objects.filter(data_file__in=files).order_by("chosen_at")
    }
    rows = []
    for f in files:
        table, job = tables.get(f.pk), jobs.get(f.pk)
        try:
            removal = f.removal
        except m.DataFileRemoval.DoesNotExist:
            removal = None
        rows.append(
            {
                "file": f,
                "format": table.format if table is not None else "",
                "chosen": chosen.get(f.pk) or f.format,
                "job": job,
                "failed": job is not None and job.status == m.AnalysisJob.Status.FAILED,
                "removal": removal,
            }
        )
    comparisons = (
        visible(m.SavedComparison, request.user).filter(cells=run.cell_id)[:10]
        if run.cell_id
        else []
    )
    return {
        "file_rows": rows,
        "reparse_form": ReparseForm(),
        "reanalyse_form": ReanalyseForm(user=request.user),
        "comparisons": comparisons,
    }


def _lineage_list(lin: Any) -> list[tuple[str, list[tuple[str, str | None, int]]]]:
    return [
        (name, [(record_text(r), record_url(r), depth) for r, depth in records])
        for name, records in lin.by_type()
    ]


def _lot_properties(lot: m.MaterialLot, prefs: dict[str, str]) -> list[tuple[str, str]]:
    spec = m.LOT_PROPERTIES.get(lot.material.category, {})
    out = []
    for key, value in (lot.properties or {}).items():
        label, kind, _ = spec.get(key, (key, None, ()))
        shown = format_quantity(value, kind, prefs.get(kind)) if kind else value
        out.append((label, shown))
    return out


def _protocol_parameters(protocol: m.TestProtocol, prefs: dict[str, str]) -> list[tuple[str, str]]:
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
    return str(segno.make(url, error="m").svg_inline(scale=3, omitsize=False))
