"""The study report: every cell with every lot it was made from, the protocols' recorded
parameters, the comparison page's statistics, the figures, and methods written from records."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from labdb import models as m
from labdb.reports.selection import from_saved
from labdb.reports.study import build_report
from tests.labdb.exports.jobs import download, export_of
from tests.labdb.reports.conftest import STUDY_CELLS
from tests.labdb.reports.inspect import pdf_fonts, read_pdf

pytestmark = pytest.mark.django_db


def _lots_of(cell: m.Cell) -> set[str]:
    """Every lot a cell is made of, read straight from the catalog."""
    f = cell.anode_batch.formulation
    lots = set(f.components.values_list("lot__label", flat=True))
    for lot in (
        f.solvent_lot,
        cell.anode_batch.current_collector_lot,
        cell.electrolyte_lot,
        cell.lithium_lot,
        cell.cathode_lot,
        cell.cathode_coating_lot,
    ):
        if lot is not None:
            lots.add(lot.label)
    return lots


def _row(html: str, attr: str, value: str) -> str:
    found = re.search(rf'<tr {attr}="{re.escape(value)}">(.*?)</tr>', html, re.S)
    assert found, value
    return found.group(1)


def test_report_lists_every_cell_with_its_lots_protocols_statistics_and_figures(
    client_demo: Client, study: m.SavedComparison, demo_user: Any
) -> None:
    run = m.TestRun.objects.get(label="Mg-E-HC1-PS")
    run.instrument = m.Instrument.objects.get(label="BCS-805-1")
    run.save()
    response = client_demo.get("/compare/report.html", {"saved": str(study.pk)})
    assert response.status_code == 200
    html = response.content.decode()

    cells = m.Cell.objects.filter(label__in=STUDY_CELLS)
    assert len(re.findall(r"<tr data-cell=", html)) == len(STUDY_CELLS)
    for cell in cells:
        row = _row(html, "data-cell", cell.label)
        assert set(re.findall(r'data-lot="([^"]+)"', row)) == _lots_of(cell)
        assert cell.anode_batch.label in row

    protocols = re.search(r'data-testid="report-protocols">(.*?)</table>', html, re.S)
    assert protocols and "current density: 1 mA/cm2" in protocols.group(1)
    assert "temperature: 25 degC" in protocols.group(1)

    # the statistics are the comparison page's replicate table (mean ± sd across cells)
    row = _row(html, "data-group", "MgAgSn-Elastane (half)")
    average = re.search(r'data-metric="average_ce" data-n="(\d+)">([^<]*)', row)
    assert average and average.group(1) == "2"
    assert average.group(2).strip() == "97.500 % ± 0.707"  # CE 98 % and 97 %
    # and the page's tests of difference between groups: MgAgSn-Elastane (98, 97 %) against
    # Mg-Elastane (95 %, one cell: no Welch test with n = 1, the difference still stated)
    differences = re.search(r'data-testid="report-differences">(.*?)</table>', html, re.S)
    assert differences, "the report has no table of differences between groups"
    pairs = re.findall(r'<tr data-metric="average_ce">(.*?)</tr>', differences.group(1), re.S)
    pair = next(p for p in pairs if "MgAgSn-Elastane (half)" in p and "Mg-Elastane (half)" in p)
    cells_ = re.findall(r"<td>(.*?)</td>", pair)
    if cells_[0].startswith("Mg-Elastane"):  # a - b, in the order the groups are named
        assert cells_[1:3] == ["1 vs 2", "-2.500 %"], cells_
    else:
        assert cells_[1:3] == ["2 vs 1", "2.500 %"], cells_
    assert cells_[3].startswith("—"), "a Welch test on one cell"
    assert 'data-testid="report-survival"' in html

    # figures: the saved comparison's figure set, drawn on request from the figure URLs
    srcs = re.findall(r'<img src="([^"]+)"', html)
    assert srcs and all(s.startswith("/compare/figures/") for s in srcs)
    svg = client_demo.get(srcs[0].replace("&amp;", "&"))
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"

    methods = re.search(r'data-testid="methods">(.*?)</div>', html, re.S)
    assert methods
    text = methods.group(1)
    assert "BioLogic BCS-805" in text  # the one instrument recorded, on one run
    assert "Arbin" not in text and "VSP-300" not in text  # no instrument nobody recorded
    assert "current density 1 mA/cm2" in text and "4 runs" in text
    assert m.AnalysisJob.objects.first().analysis_version in text  # type: ignore[union-attr]
    assert "CREORA-001" in text  # the binder's lot number, from the formulation
    # the statistics the report shows, named in the methods: tests of difference, survival
    assert "Welch&#x27;s t-test (effect size Hedges&#x27; g)" in text and "Holm" in text
    assert "Kaplan-Meier" in text and "log-rank" in text
    # the CE limits of error, from the accuracy the one recorded cycler states (demo catalog)
    assert "BCS-805-1: 0.015 % of the 10 mA range + 0.01 % of reading" in text
    assert "calibrated 2024-01-15" in text and "average CE ± " in text


def test_methods_say_only_what_the_records_say(
    planned_study: m.SavedComparison,
    demo_user: Any,
    client_demo: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    study = planned_study
    with django_capture_on_commit_callbacks(execute=True):  # the PDF is an export job
        response = client_demo.get("/compare/report.pdf", {"saved": str(study.pk)})
    job = export_of(client_demo, response)
    assert job.kind == "report_pdf" and job.content_type == "application/pdf"
    reader = read_pdf(download(client_demo, job))
    text = "".join(page.extract_text() for page in reader.pages)
    assert all(label in text for label in STUDY_CELLS) and "CREORA-001" in text
    assert all(pdf_fonts(reader).embedded)

    protocol = m.TestProtocol.objects.get(label="PS-1mA-1mAh")
    report = build_report(from_saved(demo_user, study), figures=[])
    assert "temperature 25 degC" in " ".join(report.methods)
    protocol.parameters = {k: v for k, v in protocol.parameters.items() if k != "temperature_degC"}
    protocol.save()
    for cell in m.Cell.objects.filter(label__in=STUDY_CELLS):
        cell.stack_pressure_mpa = None
        cell.save()
    m.Cell.objects.filter(label="Mg-E-HC1").update(area_cm2=1.0)
    methods = " ".join(build_report(from_saved(demo_user, study), figures=[]).methods)
    assert "temperature" not in methods and "stack pressure" not in methods
    assert "0.785 to 1 cm² area" in methods  # a value that differs is given as its range
    assert "analysed" not in methods  # no data, no analysis sentence
    assert "Welch" not in methods and "Kaplan-Meier" not in methods  # no values, no tests
