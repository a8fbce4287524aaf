"""Paper-ready downloads: vector figures (SVG, PDF) of every plot of the cell, batch and
comparison pages, the study report (HTML, PDF) and the data package (ZIP) of a comparison.

Thin views: the figure dict comes from the page's own builder (stored results only), the
drawing from :mod:`labdb.reports.render` (cached by the content hash of its inputs), the report
and the package from :mod:`labdb.reports`. Nothing is drawn when a page loads: its cards only
link here.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest

from labdb import models as m
from labdb.reports.document import report_html
from labdb.reports.render import FORMATS, NoData, figure_file
from labdb.reports.selection import FIGURE_POINTS, StudySelection, query_dict, selection_of
from labdb.reports.selection import compare_figure as figure_dict
from labdb.reports.study import ReportFigure, build_report
from labdb.selectors.access import get_visible
from labdb.web.batch_plots import BATCH_PLOTS
from labdb.web.cell_plots import CELL_PLOTS
from labdb.web.compare_plots import COMPARE_PLOTS
from labdb.web.export_jobs import request_export
from labdb.web.exports import _file_stem
from labdb.web.figures import Builder, PlotRequest


def _figure(
    request: HttpRequest, builders: dict[str, Builder], name: str, fmt: str, subject: Any, stem: str
) -> HttpResponse:
    builder = builders.get(name)
    if builder is None or fmt not in FORMATS:
        raise Http404(f"no figure {name}.{fmt}")
    width = request.GET.get("width", "single")
    fig = builder(subject, PlotRequest(request.user, request.GET, FIGURE_POINTS))
    try:
        data = figure_file(fig, fmt, width)
    except NoData as exc:
        raise Http404(str(exc)) from exc
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    response = HttpResponse(data, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{_file_stem(stem)}-{width}.{fmt}"'
    return response


@login_required
def cell_figure(request: HttpRequest, key: str, name: str, fmt: str) -> HttpResponse:
    cell = get_visible(m.Cell, request.user, key)
    return _figure(request, CELL_PLOTS, name, fmt, cell, f"{cell.label}-{name}")


@login_required
def batch_figure(request: HttpRequest, key: str, name: str, fmt: str) -> HttpResponse:
    batch = get_visible(m.ElectrodeBatch, request.user, key)
    return _figure(request, BATCH_PLOTS, name, fmt, batch, f"{batch.label}-{name}")


@login_required
def compare_figure(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    return _figure(request, COMPARE_PLOTS, name, fmt, None, f"comparison-{name}")


def _selection(request: HttpRequest) -> StudySelection:
    """A saved comparison (``saved``) or the comparison page's query."""
    selection = selection_of(request.user, request.GET)
    if not selection.cells and not request.GET.get("saved"):
        raise Http404("no cells match")
    return selection


@login_required
def compare_report(request: HttpRequest, fmt: str) -> HttpResponse:
    """The study report of a comparison: HTML (figures fetched from the figure URLs, drawn on
    request); the PDF (figures embedded) is an export job on the ``exports`` queue: this
    address asks for it and goes to its page."""
    if fmt not in ("html", "pdf"):
        raise Http404(f"no report format {fmt!r}")
    if fmt == "pdf":
        _selection(request)
        return request_export(request, m.ExportJob.Kind.REPORT_PDF, request.GET)
    selection = _selection(request)
    figures = [
        ReportFigure(
            spec,
            figure_dict(request.user, spec),
            f"/compare/figures/{spec.name}.svg?{query_dict(spec.params).urlencode()}",
        )
        for spec in selection.figures()
    ]
    report = build_report(selection, figures=figures)
    return HttpResponse(report_html(report), content_type="text/html; charset=utf-8")


@login_required
def compare_package(request: HttpRequest) -> HttpResponse:
    """The data package (ZIP, an RO-Crate) of a saved comparison or of the page's selection:
    an export job on the ``exports`` queue; this address (the old download link) asks for it
    and goes to its page, where the download appears when it is built."""
    return request_export(request, m.ExportJob.Kind.PACKAGE, request.GET)
