"""Comparisons stay put: the paper's figures and any saved comparison keep their cells and
the results they were saved with; newer data are offered in a notice, never taken in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from labdb import models as m
from labdb.services.catalog import record_save
from labdb.web.saved import PAPER_NAME
from tests.labdb.test_ingest_and_jobs import bdf_csv
from tests.labdb.web.conftest import make_run
from tests.labdb.web.test_compare import cell_value

pytestmark = pytest.mark.django_db


def test_paper_figures_are_frozen_at_first_view(
    client_demo: Client, demo: m.Project, demo_user: Any, ingest: Any
) -> None:
    hc1 = make_run(demo, demo_user, "MgAgSn-E-HC1-PS", "MgAgSn-E-HC1", "PS-1mA-1mAh")
    ingest(hc1, bdf_csv(cycles=3, ce=0.98), "hc1.csv")
    html = client_demo.get("/compare/").content.decode()
    saved = m.SavedComparison.objects.get(name=PAPER_NAME)
    assert "The paper's figures are a saved selection" in html
    assert f"saved={saved.pk}" in html and 'data-testid="newer-notice"' not in html
    frozen_cells = set(saved.cells.values_list("label", flat=True))
    assert "MgAgSn-E-HC2" in frozen_cells

    # newer data: a result on another frozen cell, and a new cell
    hc2 = make_run(demo, demo_user, "MgAgSn-E-HC2-PS", "MgAgSn-E-HC2", "PS-1mA-1mAh")
    ingest(hc2, bdf_csv(cycles=3, ce=0.96), "hc2.csv")
    template = m.Cell.objects.get(label="MgAgSn-E-HC2")
    template.pk, template.id, template.label = None, None, "MgAgSn-E-HC9"
    template._state.adding = True
    template.status = "assembled"
    record_save(record=template, user=demo_user)

    html = client_demo.get("/compare/").content.decode()
    assert m.SavedComparison.objects.filter(name=PAPER_NAME).count() == 1
    notice = re.search(r'data-testid="newer-notice">(.*?)</p>', html, re.S)
    assert notice and "1 newer result" in notice.group(1) and "MgAgSn-E-HC9" in notice.group(1)
    fig = client_demo.get(
        "/compare/plots/ce.json", {"saved": str(saved.pk), "kind": "half", "group": "cell"}
    ).json()
    assert [t["name"] for t in fig["data"]] == ["MgAgSn-E-HC1"]  # HC2's newer result left out
    live = client_demo.get("/compare/plots/ce.json", {"kind": "half", "group": "cell"}).json()
    assert {t["name"] for t in live["data"]} == {"MgAgSn-E-HC1", "MgAgSn-E-HC2"}


def test_saved_comparison_keeps_its_results(
    client_demo: Client, demo: m.Project, demo_user: Any, ingest: Any
) -> None:
    runs = {}
    for label, ce in (("MgAgSn-E-HC1", 0.98), ("MgAgSn-E-HC2", 0.96)):
        runs[label] = make_run(demo, demo_user, f"{label}-PS", label, "PS-1mA-1mAh")
        ingest(runs[label], bdf_csv(cycles=3, ce=ce), f"{label}.csv")
    query = {"cells": ["MgAgSn-E-HC1", "MgAgSn-E-HC2"], "group": "formulation"}
    response = client_demo.post("/compare/save/", {**query, "name": "HC1 and HC2"})
    saved = m.SavedComparison.objects.get(name="HC1 and HC2")
    assert response.status_code == 302 and response["Location"] == f"/compare/?saved={saved.pk}"
    group = "MgAgSn-Elastane (half)"
    before = cell_value(client_demo.get(response["Location"]).content.decode(), group, "ice")

    ingest(runs["MgAgSn-E-HC1"], bdf_csv(cycles=3, ce=0.90), "hc1-again.csv")
    after = client_demo.get(f"/compare/?saved={saved.pk}").content.decode()
    assert cell_value(after, group, "ice") == pytest.approx(before)
    assert "1 newer result" in after
    live = client_demo.get("/compare/", query).content.decode()
    assert cell_value(live, group, "ice") == pytest.approx((0.90 + 0.96) / 2, abs=0.005)

    again = client_demo.post("/compare/save/", {**query, "name": "HC1 and HC2"}, follow=True)
    assert "already has a comparison named" in again.content.decode()
    assert m.SavedComparison.objects.filter(name="HC1 and HC2").count() == 1


def test_saved_comparison_export_and_access(
    client_demo: Client, demo: m.Project, outsider: Any
) -> None:
    client_demo.post("/compare/save/", {"cells": ["MgAgSn-E-HC1", "Mg-E-HC1"], "name": "Two cells"})
    saved = m.SavedComparison.objects.get(name="Two cells")
    assert set(saved.cells.values_list("label", flat=True)) == {"MgAgSn-E-HC1", "Mg-E-HC1"}
    prov = client_demo.get("/compare/export/prov.json", {"saved": str(saved.pk)})
    assert prov.status_code == 200
    assert 'filename="Two_cells.prov.json"' in prov["Content-Disposition"]
    assert "Mg-E-HC1" in prov.content.decode() and "MgAgSn-E-HC2" not in prov.content.decode()
    other = Client()
    other.force_login(outsider)
    assert "Two cells" not in other.get(f"/compare/?saved={saved.pk}").content.decode()
    assert other.get("/compare/export/prov.json", {"saved": str(saved.pk)}).status_code == 404
