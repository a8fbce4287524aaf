"""Paper-ready figures: the comparison and cell pages' plots as SVG and PDF at journal column
widths, with the page's series and axes, fonts embedded, drawn once per content (cached)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from labdb import models as m
from labdb.reports import render
from labdb.reports.style import DOUBLE_COLUMN_MM, SINGLE_COLUMN_MM
from tests.labdb.reports.inspect import PT_PER_MM, pdf_fonts, read_pdf, read_svg

pytestmark = pytest.mark.django_db


def test_comparison_figures_are_vector_files_with_the_pages_series_and_embedded_fonts(
    client_demo: Client, study: m.SavedComparison, monkeypatch: Any
) -> None:
    query = {"saved": str(study.pk), "kind": "half", "group": "cell"}
    page = client_demo.get("/compare/plots/ce.json", query).json()
    assert len(page["data"]) == 4  # one CE series per cell, as the page plots it

    svg = client_demo.get("/compare/figures/ce.svg", query)
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    fig = read_svg(svg.content)
    assert fig.width_pt == pytest.approx(SINGLE_COLUMN_MM * PT_PER_MM, abs=0.01)
    assert fig.axes == ["axes-y"] and fig.series == set(range(4))

    pdf = client_demo.get("/compare/figures/ce.pdf", {**query, "width": "double"})
    assert pdf["Content-Type"] == "application/pdf"
    reader = read_pdf(pdf.content)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(DOUBLE_COLUMN_MM * PT_PER_MM, abs=0.01)
    text = reader.pages[0].extract_text()
    assert "CE (%)" in text and "cycle" in text  # the text is text (Type 42), not outlines
    for label in ("Mg-E-HC1", "MgAgSn-E-HC2", "MgAgSn-P-HC1"):
        assert label in text  # the legend names every cell
    fonts = pdf_fonts(reader)
    assert fonts.names and all(fonts.embedded), fonts
    assert "/Type3" not in fonts.subtypes and all("DejaVuSans" in n for n in fonts.names)

    bad = client_demo.get("/compare/figures/ce.svg", {**query, "width": "a4"})
    assert bad.status_code == 400 and b"single, double" in bad.content
    none = client_demo.get("/compare/figures/rct.svg", {"saved": str(study.pk)})
    assert none.status_code == 404  # no EIS results: nothing to draw, said so

    # drawn once per content, and the same content gives the same bytes
    cache.clear()
    drawn: list[str] = []
    original = render._draw

    def counting(fig: dict[str, Any], fmt: str, width: str) -> bytes:
        drawn.append(fmt)
        return original(fig, fmt, width)

    monkeypatch.setattr(render, "_draw", counting)
    url = "/compare/figures/cumulative-ce.svg"
    first = client_demo.get(url, {"saved": str(study.pk)}).content
    again = client_demo.get(url, {"saved": str(study.pk)}).content
    assert first == again and drawn == ["svg"]  # the second answer came from the cache
    cache.clear()
    redrawn = client_demo.get(url, {"saved": str(study.pk)}).content
    assert redrawn == first and drawn == ["svg", "svg"]  # same inputs, same bytes
    other = client_demo.get(url, {"saved": str(study.pk), "group": "cell"}).content
    assert other != first and len(drawn) == 3  # other inputs, another file


def test_cell_page_figures_twin_axes_panels_and_bars(
    client_demo: Client, cycling: m.AnalysisResult, eis_after: Any, monkeypatch: Any
) -> None:
    cell = cycling.test_run.cell
    drawn: list[str] = []
    original = render._draw
    monkeypatch.setattr(render, "_draw", lambda *a: drawn.append(a[1]) or original(*a))
    html = client_demo.get(f"/cells/{cell.pk}/").content.decode()
    assert drawn == []  # the page only links to its figures: nothing is drawn on page load
    assert f'href="/cells/{cell.pk}/figures/capacity.svg' in html
    assert f'href="/cells/{cell.pk}/figures/capacity.pdf' in html

    base = f"/cells/{cell.pk}"
    page = client_demo.get(f"{base}/plots/capacity.json").json()
    fig = read_svg(client_demo.get(f"{base}/figures/capacity.svg").content)
    with_values = [t for t in page["data"] if any(v is not None for v in t["y"])]
    assert len(with_values) == 2 < len(page["data"])  # a half cell has no retention
    assert fig.axes == ["axes-y"] and len(fig.series) == 2  # so no empty right-hand axis

    page = client_demo.get(f"{base}/plots/bode.json", {"eis": "after"}).json()
    fig = read_svg(client_demo.get(f"{base}/figures/bode.svg", {"eis": "after"}).content)
    assert fig.axes == ["axes-y", "axes-y2"]  # |Z| and, on a right-hand axis, the phase
    assert len(fig.series) == len(page["data"])

    page = client_demo.get(f"{base}/plots/nyquist.json", {"eis": "after"}).json()
    fig = read_svg(client_demo.get(f"{base}/figures/nyquist.svg", {"eis": "after"}).content)
    assert sorted(fig.axes) == ["axes-y", "axes-y2"]  # the Nyquist plot over its residuals
    assert len(fig.series) == len(page["data"])

    query = {"cells": cell.label, "group": "cell"}
    page = client_demo.get("/compare/plots/rct.json", query).json()
    fig = read_svg(client_demo.get("/compare/figures/rct.svg", query).content)
    assert [t["type"] for t in page["data"]] == ["bar", "bar"]  # after 5 and after 10 cycles
    assert fig.series == {0, 1}
    assert len(drawn) == 4  # each figure drawn when asked for
