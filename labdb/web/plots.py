"""Plot data endpoints: every plot on a page is fetched as JSON (a Plotly figure: ``data`` and
``layout``) and the same data is offered as CSV, so that a page renders at once and each plot
can be downloaded as numbers.

The registries of builders live in :mod:`labdb.web.cell_plots`, :mod:`labdb.web.compare_plots`
and :mod:`labdb.web.batch_plots`; each builder takes the subject and a
:class:`~labdb.web.figures.PlotRequest` and returns a figure dict (made with the primitives of
:mod:`labdb.web.figures`). ``max_points`` is the decimation budget per series for JSON; the CSV
asks for ``None`` (full resolution).
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from labdb import models as m
from labdb.exports.spreadsheet import safe_row
from labdb.selectors.access import get_visible
from labdb.web.batch_plots import BATCH_PLOTS
from labdb.web.cell_plots import CELL_PLOTS
from labdb.web.compare_plots import COMPARE_PLOTS
from labdb.web.figures import Builder, PlotRequest

#: decimation budget of one series in the JSON answers
MAX_POINTS = 2000


def _axis_title(layout: dict[str, Any], ref: str, letter: str) -> str:
    suffix = ref[1:] if ref and len(ref) > 1 else ""
    axis = layout.get(f"{letter}axis{suffix}", {})
    title = axis.get("title", {})
    return str(title.get("text", "") if isinstance(title, dict) else title) or letter


def figure_csv(fig: dict[str, Any], response: HttpResponse) -> None:
    """Long-format CSV of a figure: one row per point, with the series and axis names."""
    writer = csv.writer(response)
    writer.writerow(["series", "x_quantity", "x", "y_quantity", "y", "y_error"])
    layout = fig.get("layout", {})
    for tr in fig.get("data", []):
        x_name = _axis_title(layout, tr.get("xaxis", "x"), "x")
        y_name = _axis_title(layout, tr.get("yaxis", "y"), "y")
        errors = (tr.get("error_y") or {}).get("array") or []
        for i, (x, y) in enumerate(zip(tr.get("x", []), tr.get("y", []), strict=False)):
            if x is None and y is None:
                continue  # a gap between segments
            err = errors[i] if i < len(errors) else ""
            row = [tr.get("name", ""), x_name, x, y_name, y, "" if err is None else err]
            writer.writerow(safe_row(row))


def respond(fig: dict[str, Any], fmt: str, filename: str) -> HttpResponse:
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        figure_csv(fig, response)
        return response
    return JsonResponse(fig, json_dumps_params={"separators": (",", ":"), "allow_nan": False})


def _plot_view(
    request: HttpRequest,
    builders: dict[str, Builder],
    name: str,
    fmt: str,
    subject: Any,
    filename: str,
) -> HttpResponse:
    builder = builders.get(name)
    if builder is None or fmt not in ("json", "csv"):
        raise Http404(f"no plot {name!r}")
    req = PlotRequest(request.user, request.GET, None if fmt == "csv" else MAX_POINTS)
    return respond(builder(subject, req), fmt, filename)


@login_required
def cell_plot(request: HttpRequest, key: str, name: str, fmt: str) -> HttpResponse:
    cell = get_visible(m.Cell, request.user, key)
    return _plot_view(request, CELL_PLOTS, name, fmt, cell, f"{cell.label}-{name}")


@login_required
def batch_plot(request: HttpRequest, key: str, name: str, fmt: str) -> HttpResponse:
    batch = get_visible(m.ElectrodeBatch, request.user, key)
    return _plot_view(request, BATCH_PLOTS, name, fmt, batch, f"{batch.label}-{name}")


@login_required
def compare_plot(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    return _plot_view(request, COMPARE_PLOTS, name, fmt, None, f"comparison-{name}")


#: The vendored plotly.js basic bundle (static/vendor/plotly/README.md says why this one).
PLOTLY_VERSION = "4.1.1"


@lru_cache(maxsize=1)
def _plotly_bytes() -> tuple[bytes, bytes]:
    path = settings.BASE_DIR / "static" / "vendor" / "plotly" / "plotly-basic.min.js"
    raw = path.read_bytes()
    return raw, gzip.compress(raw, compresslevel=6, mtime=0)


def plotly_version() -> str:
    return PLOTLY_VERSION


def plotly_js(request: HttpRequest, version: str) -> HttpResponse:
    """plotly.js served by the app (no CDN). The URL carries the version, so the file is
    cached for a year and never stale."""
    raw, packed = _plotly_bytes()
    gzip_ok = "gzip" in request.headers.get("Accept-Encoding", "")
    response = HttpResponse(packed if gzip_ok else raw, content_type="text/javascript")
    if gzip_ok:
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def plotly_url() -> str:
    return f"/vendor/plotly-{plotly_version()}.min.js"


def plot_cards_json(cards: Sequence[dict[str, Any]]) -> str:
    return json.dumps(list(cards))
