"""A person's decisions, each with a required, audited reason: an implausible value counts in
group statistics only once accepted (web and API); the capacity check against the protocol's
current x time on the cell's area (the wrong-area case); a detected short reversed by a person.
Every file is written here."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from labdb import models as m
from labdb.plausibility import CAPACITY_METRIC, capacity_flag, protocol_capacity_mAh
from tests.labdb.api.conftest import session_client
from tests.labdb.test_ingest_and_jobs import bdf_csv
from tests.labdb.web.conftest import make_run
from tests.labdb.web.test_plausibility import badges
from tests.labdb.web.test_status import half_cell_csv

pytestmark = pytest.mark.django_db


def ice_cell(html: str) -> tuple[str, str, str]:
    row = re.search(r'<tr data-group="MgAgSn-Elastane \(half\)">(.*?)</tr>', html, re.S)
    assert row
    ice = re.search(
        r'data-metric="ice" data-mean="([^"]*)" data-n="(\d+)">(.*?)</td>', row.group(1), re.S
    )
    assert ice
    return ice.group(1), ice.group(2), ice.group(3)


def test_an_accepted_value_counts_in_group_statistics_until_withdrawn(
    client_demo: Client, overshoot: m.AnalysisResult
) -> None:
    url = "/compare/?group=formulation&kind=half"
    _, n, _ = ice_cell(client_demo.get(url).content.decode())
    assert n == "1"
    page = client_demo.get(f"/test-runs/{overshoot.test_run_id}/").content.decode()
    action = f"/results/{overshoot.pk}/flags/initial_coulombic_efficiency/accept/"
    assert f'action="{action}"' in page
    # no reason: refused, nothing recorded
    client_demo.post(action, {"reason": " "})
    assert not m.FlagAcceptance.objects.exists()
    client_demo.post(action, {"reason": "Li-rich seed layer acts as a reservoir"})
    mean2, n2, text = ice_cell(client_demo.get(url).content.decode())
    normal = m.AnalysisResult.objects.get(test_run__label="MgAgSn-E-HC1-PS", kind="cycling")
    assert n2 == "2"
    assert float(mean2) == pytest.approx(
        (normal.initial_coulombic_efficiency + overshoot.initial_coulombic_efficiency) / 2
    )
    assert 'data-accepted="1"' in text and "MgAgSn-E-HC2" in text
    page = client_demo.get(f"/test-runs/{overshoot.test_run_id}/").content.decode()
    assert "Li-rich seed layer acts as a reservoir" in page
    entry = m.HistoryEntry.objects.get(record_id=overshoot.test_run_id, action="flag.accepted")
    assert entry.changes["reason"] == [None, "Li-rich seed layer acts as a reservoir"]
    assert entry.user is not None and entry.user.username == "demo"
    # the cell page lists it as accepted, with the way back
    cell_page = client_demo.get(f"/cells/{overshoot.test_run.cell_id}/").content.decode()
    acceptance = m.FlagAcceptance.objects.get()
    assert f'action="/flags/{acceptance.pk}/withdraw/"' in cell_page
    client_demo.post(f"/flags/{acceptance.pk}/withdraw/", {"reason": "no reservoir after all"})
    _, n3, _ = ice_cell(client_demo.get(url).content.decode())
    assert n3 == "1"
    assert m.HistoryEntry.objects.filter(
        record_id=overshoot.test_run_id, action="flag.withdrawn"
    ).exists()


def test_api_accepts_with_a_reason_and_lists_the_acceptance(
    demo_user: Any, overshoot: m.AnalysisResult
) -> None:
    client = session_client(demo_user)
    url = f"/api/v1/results/{overshoot.job_id}/"
    refused = client.post(url + "accept/", {"metric": "initial_coulombic_efficiency"})
    assert refused.status_code == 400 and "reason" in refused.json()
    not_flagged = client.post(url + "accept/", {"metric": "cycle_count", "reason": "fine"})
    assert not_flagged.status_code == 400
    done = client.post(
        url + "accept/", {"metric": "initial_coulombic_efficiency", "reason": "known reservoir"}
    )
    assert done.status_code == 201
    flags = {f["metric"]: f for f in client.get(url).json()["implausible"]}
    assert flags["initial_coulombic_efficiency"]["accepted"]["reason"] == "known reservoir"
    assert flags["coulombic_efficiency"]["accepted"] is None
    back = client.post(
        url + "withdraw/", {"metric": "initial_coulombic_efficiency", "reason": "re-checked"}
    )
    assert back.status_code == 200
    flags = {f["metric"]: f for f in client.get(url).json()["implausible"]}
    assert flags["initial_coulombic_efficiency"]["accepted"] is None


def test_protocol_capacity_is_current_times_time_on_the_area() -> None:
    assert protocol_capacity_mAh({"areal_capacity_mAh_cm2": 1.0}, 0.785) == pytest.approx(0.785)
    assert protocol_capacity_mAh({"one_c_current_density_mA_cm2": 2.0, "c_rate": 0.5}, 1.0) == 2
    assert protocol_capacity_mAh({"current_density_mA_cm2": 1.0}, 0.785) is None
    rows = [{"cycle": c, "plating_capacity_mAh": 0.78} for c in (1, 2, 3)]
    assert capacity_flag(rows, 0.785) is None
    assert capacity_flag(rows, 7.85) is not None  # area 10x too large: median far below


def test_a_file_recorded_on_a_wrong_area_is_flagged_with_the_cause(
    client_demo: Client, demo: m.Project, demo_user: Any, ingest: Any
) -> None:
    """The cycler ran 1 mA/cm2 on a 7.85 cm2 electrode while the cell says 0.785 cm2: every
    half-cycle moves 10x the charge the protocol's current and time allow."""
    run = make_run(demo, demo_user, "MgAgSn-E-HC2-PS", "MgAgSn-E-HC2", "PS-1mA-1mAh")
    result = ingest(run, bdf_csv(cycles=3, ce=0.98, area_cm2=7.85), "wide.csv").result
    page = client_demo.get(f"/test-runs/{run.pk}/").content.decode()
    flag = re.search(rf'data-implausible="{CAPACITY_METRIC}"><code>[^<]+</code> = ([\d.]+)', page)
    assert flag and float(flag.group(1)) == pytest.approx(7.85, rel=0.01)
    assert "wrong" in page and "area" in page and "cycles 1, 2, 3" in page
    api = session_client(demo_user).get(f"/api/v1/results/{result.job_id}/").json()
    assert CAPACITY_METRIC in {f["metric"] for f in api["implausible"]}
    # the right area: no capacity flag, no badge
    ok = make_run(demo, demo_user, "MgAgSn-E-HC1-PS", "MgAgSn-E-HC1", "PS-1mA-1mAh")
    ingest(ok, bdf_csv(cycles=3, ce=0.98), "ok.csv")
    page = client_demo.get(f"/test-runs/{ok.pk}/").content.decode()
    assert CAPACITY_METRIC not in page and badges(page) == {}


def test_a_short_is_reversed_only_with_a_reason_and_stays_reversed(
    client_demo: Client, demo: m.Project, demo_user: Any, ingest: Any
) -> None:
    run = make_run(demo, demo_user, "MgAgSn-E-HC2-PS", "MgAgSn-E-HC2", "PS-1mA-1mAh")
    ingest(run, half_cell_csv([0.98, 0.98, 0.98, 1.3, 1.4]), "hc2.csv")
    cell = m.Cell.objects.get(label="MgAgSn-E-HC2")
    assert cell.status == "shorted"
    page = client_demo.get(f"/cells/{cell.pk}/").content.decode()
    assert 'data-testid="short-reverse"' in page
    client_demo.post(f"/cells/{cell.pk}/short/reverse/", {"status": "testing", "reason": ""})
    cell.refresh_from_db()
    assert cell.status == "shorted"
    client_demo.post(
        f"/cells/{cell.pk}/short/reverse/",
        {"status": "testing", "reason": "voltage noise from a loose clip, not a short"},
    )
    cell.refresh_from_db()
    assert cell.status == "testing"
    entry = m.HistoryEntry.objects.filter(record_id=cell.pk, user=demo_user).latest("id")
    assert entry.changes["status"] == ["shorted", "testing"]
    assert entry.changes["status_reason"][1] == "voltage noise from a loose clip, not a short"
    assert entry.changes["short reversed at cycle"] == [None, [4]]
    # the same short found again by a re-analysis leaves the person's decision in place
    ingest(run, half_cell_csv([0.98, 0.98, 0.98, 1.3, 1.4, 0.98]), "hc2-more.csv")
    cell.refresh_from_db()
    assert cell.status == "testing"


def test_replicate_table_compares_cumulative_ce_at_the_common_cycle(
    client_demo: Client, demo: m.Project, demo_user: Any, ingest: Any
) -> None:
    """HC1 ran 5 cycles, HC2 3 (both CE 0.98): the final cumulative CEs (0.98^5, 0.98^3) are
    not comparable; at cycle 3 both are 0.98^3."""
    run = make_run(demo, demo_user, "MgAgSn-E-HC1-PS", "MgAgSn-E-HC1", "PS-1mA-1mAh")
    ingest(run, bdf_csv(cycles=5, ce=0.98), "hc1.csv")
    run = make_run(demo, demo_user, "MgAgSn-E-HC2-PS", "MgAgSn-E-HC2", "PS-1mA-1mAh")
    ingest(run, bdf_csv(cycles=3, ce=0.98), "hc2.csv")
    html = client_demo.get("/compare/?group=formulation&kind=half").content.decode()
    assert "cumulative CE at cycle 3" in html
    row = re.search(r'<tr data-group="MgAgSn-Elastane \(half\)">(.*?)</tr>', html, re.S)
    assert row
    common = re.search(
        r'data-metric="cumulative_ce_common" data-mean="([^"]*)" data-n="(\d+)"', row.group(1)
    )
    assert common and common.group(2) == "2"
    assert float(common.group(1)) == pytest.approx(0.98**3, abs=2e-3)


def test_the_test_run_form_records_eis_after_n_cycles(client_demo: Client, demo: m.Project) -> None:
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    eis = m.TestProtocol.objects.get(label="EIS-POST")
    form = {"project": demo.pk, "label": "HC1-EIS-5", "cell": cell.pk, "protocol": eis.pk}
    form["status"] = "planned"
    refused = client_demo.post("/test-runs/new/", form).content.decode()
    assert "say after how many cycles" in refused
    assert not m.TestRun.objects.filter(label="HC1-EIS-5").exists()
    client_demo.post("/test-runs/new/", {**form, "after_cycles": "5"})
    run = m.TestRun.objects.get(label="HC1-EIS-5")
    assert run.after_cycles == 5
    # an in-situ protocol has no "after N cycles"
    insitu = m.TestProtocol.objects.get(label="EIS-INSITU-10min")
    bad = {**form, "label": "HC1-EIS-IS", "protocol": insitu.pk, "after_cycles": "5"}
    assert (
        "only an EIS-after-cycling run" in client_demo.post("/test-runs/new/", bad).content.decode()
    )
