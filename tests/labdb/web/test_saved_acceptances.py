"""A saved comparison keeps the acceptances of implausible values it was saved with, so its
statistics (page, API, report) stay put when a value is accepted or withdrawn later; the page
says what is newer, and the newest data are taken in only deliberately, as a new saved
comparison (the old one unchanged). Files are written here (the ``overshoot`` fixture: HC2
strips 130 % of what it plated, HC1 a normal 98 %)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from labdb import models as m
from labdb.reports.selection import from_saved
from labdb.reports.statistics import report_statistics
from tests.labdb.web.test_reviews import ice_cell

pytestmark = pytest.mark.django_db

ICE = "initial_coulombic_efficiency"
GROUP = "MgAgSn-Elastane (half)"


def _save(client: Client, name: str) -> m.SavedComparison:
    client.post("/compare/save/", {"name": name, "kind": "half", "group": "formulation"})
    return m.SavedComparison.objects.get(name=name)


def _n(client: Client, saved: m.SavedComparison) -> int:
    return int(ice_cell(client.get(f"/compare/?saved={saved.pk}").content.decode())[1])


def _api_ice(client: Client, saved: m.SavedComparison) -> dict[str, Any]:
    body = client.get(f"/api/v1/statistics/?saved={saved.pk}").json()
    (ice,) = [s for s in body["metrics"] if s["key"] == "ice"]
    return ice["groups"][GROUP]  # type: ignore[no-any-return]


def _report_ice_n(user: Any, saved: m.SavedComparison) -> int:
    """n of the ICE column of the study report's statistics table."""
    (row,) = [r for r in report_statistics(from_saved(user, saved)).rows if r["group"] == GROUP]
    (ice,) = [v for v in row["values"] if v["key"] == "ice"]
    return ice["n"]  # type: ignore[no-any-return]


def test_acceptances_are_pinned_with_a_saved_comparison(
    client_demo: Client, demo_user: Any, overshoot: m.AnalysisResult
) -> None:
    before = _save(client_demo, "Before the acceptance")
    assert _n(client_demo, before) == 1  # HC2's ICE of 130 % is left out
    client_demo.post(
        f"/results/{overshoot.pk}/flags/{ICE}/accept/", {"reason": "Li-rich seed layer"}
    )
    acceptance = m.FlagAcceptance.objects.get()
    # the live selection counts it now; the saved comparison does not take it in
    assert (
        ice_cell(client_demo.get("/compare/?group=formulation&kind=half").content.decode())[1]
        == "2"
    )
    page = client_demo.get(f"/compare/?saved={before.pk}").content.decode()
    assert ice_cell(page)[1] == "1"
    assert 'data-testid="newer-acceptances"' in page and "1 accepted since" in page
    assert f"{ICE} of MgAgSn-E-HC2-PS" in page
    assert 'data-testid="update-comparison"' in page
    assert 'data-testid="newer-notice"' not in page  # no newer result or cell: not said
    api = _api_ice(client_demo, before)
    assert api["n"] == 1 and api["left_out_implausible"][0]["cell"] == "MgAgSn-E-HC2"
    assert _report_ice_n(demo_user, before) == 1

    # deliberately taking the newer data in: a new comparison, the old one unchanged
    client_demo.post(f"/compare/saved/{before.pk}/update/", {"name": "With the acceptance"})
    after = m.SavedComparison.objects.get(name="With the acceptance")
    assert list(after.acceptances.all()) == [acceptance]
    assert not before.acceptances.exists()
    assert _n(client_demo, after) == 2 and _n(client_demo, before) == 1
    assert _report_ice_n(demo_user, after) == 2 and _report_ice_n(demo_user, before) == 1
    assert _api_ice(client_demo, after)["counted_accepted"] == ["MgAgSn-E-HC2"]
    entry = m.HistoryEntry.objects.get(record_id=after.pk, action="comparison.updated")
    assert entry.changes["acceptances"] == [0, 1] and str(before.pk) in entry.changes["from"][1]
    page = client_demo.get(f"/compare/?saved={after.pk}").content.decode()
    assert 'data-testid="newer-acceptances"' not in page

    # a withdrawal later does not move the comparison saved with the acceptance either
    client_demo.post(f"/flags/{acceptance.pk}/withdraw/", {"reason": "re-checked: no reservoir"})
    page = client_demo.get(f"/compare/?saved={after.pk}").content.decode()
    assert ice_cell(page)[1] == "2"
    assert "1 acceptance withdrawn since" in page and "still counted here as saved" in page
    assert _api_ice(client_demo, after)["n"] == 2
    assert _api_ice(client_demo, before)["n"] == 1


def test_updating_needs_a_new_name_and_keeps_the_paper_figures(
    client_demo: Client, overshoot: m.AnalysisResult
) -> None:
    saved = _save(client_demo, "Half cells")
    response = client_demo.post(
        f"/compare/saved/{saved.pk}/update/", {"name": "Half cells"}, follow=True
    )
    assert "Not updated" in response.content.decode() and "already has" in response.content.decode()
    assert m.SavedComparison.objects.filter(name="Half cells").count() == 1
    missing = client_demo.post(
        "/compare/saved/00000000-0000-0000-0000-000000000000/update/", {"name": "x"}
    )
    assert missing.status_code == 404
