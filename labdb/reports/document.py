"""The study report as HTML (one self-contained page) and as PDF.

PDF: WeasyPrint renders the same HTML (CSS paged media: A4, page numbers) and draws the SVG
figures as vectors, embedding the fonts as subsets. Chosen over xhtml2pdf/ReportLab because it
lays out the same template as the HTML report (no second layout to keep in step) and keeps the
figures vector; its only system needs are Pango and HarfBuzz, which the machine image (and
Debian's ``libpango-1.0-0``, see docker/) has. Figures are handed to it as ``data:`` URIs and
its URL fetcher accepts nothing else, so rendering a report never reads a file or the network.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import replace
from typing import Any

from django.template.loader import render_to_string

from labdb.reports.render import figure_file
from labdb.reports.study import StudyReport

TEMPLATE = "reports/study.html"


def report_html(report: StudyReport) -> str:
    """The report page; each figure's ``src`` as set on :class:`ReportFigure` (URL or file)."""
    query = report.selection.query
    items: list[tuple[str, Any]] = []
    for key, value in query.items():
        if value:
            items.append((key, ", ".join(value) if isinstance(value, list) else value))
    return render_to_string(TEMPLATE, {"report": report, "query_items": items})


def with_data_uris(report: StudyReport, width: str = "single") -> StudyReport:
    """A copy of ``report`` with every figure as an embedded SVG ``data:`` URI (for the PDF)."""
    figures = []
    for f in report.figures:
        src = ""
        if not f.empty:
            svg = figure_file(f.fig, "svg", width)
            src = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
        figures.append(replace(f, src=src))
    return replace(report, figures=figures)


def report_pdf(report: StudyReport) -> bytes:
    """The report as a PDF document (A4), figures as vectors."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # one line per subset glyph table
    html = report_html(with_data_uris(report))
    fetcher = URLFetcher(allowed_protocols={"data"})
    pdf = HTML(string=html, url_fetcher=fetcher).write_pdf()
    assert isinstance(pdf, bytes)  # nosec B101  # write_pdf without a target returns bytes
    return pdf
