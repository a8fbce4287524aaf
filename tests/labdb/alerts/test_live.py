"""The live state of cells: the cell list's running / last data / live status columns and the
small JSON the cell page polls (its version changes when a result is stored; another
project's cell is not found)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from labdb import models as m
from labdb.selectors.live import live_of_cells
from tests.labdb.alerts.conftest import half_cell_csv, rule, upload

pytestmark = pytest.mark.django_db(transaction=True)


def _follow_on(job: m.AnalysisJob) -> m.AnalysisJob:
    """The dQ/dV job that followed the cycling ``job`` on its file."""
    return m.AnalysisJob.objects.get(data_file=job.data_file, kind="dqdv", status="succeeded")


def test_cell_list_and_live_json_follow_the_data(
    client_demo: Client, run: m.TestRun, blobs: Any, outsider: Any
) -> None:
    path = f"/cells/{run.cell_id}/live.json"
    before = client_demo.get(path).json()
    assert before["running"] is False and before["last_data_at"] is None
    job = upload(run, half_cell_csv([0.98, 0.98, 0.98]))
    state = client_demo.get(path)
    assert state["Cache-Control"] == "no-store"
    live = state.json()
    assert live["running"] is True and live["status"] == "running"
    item = next(r for r in live["runs"] if r["id"] == str(run.pk))
    # the run's newest result is the dQ/dV that follows the cycling job; cycles are the
    # cycling result's
    assert item["result"] == str(_follow_on(job).pk) and item["cycles"] == 3
    assert live["version"] != before["version"]
    second = upload(run, half_cell_csv([0.98, 0.98, 0.98, 0.97]), name="grown.csv")
    again = client_demo.get(path).json()
    assert again["version"] != live["version"]
    item = next(r for r in again["runs"] if r["id"] == str(run.pk))
    assert item["result"] == str(_follow_on(second).pk) and item["cycles"] == 4

    listing = client_demo.get("/cells/").content.decode()
    for header in ("Running", "Last data", "Live status"):
        assert f">{header}</th>" in listing
    row = listing.split(f">{run.cell.label}</a>", 1)[1].split("</tr>", 1)[0]
    assert "<td>running</td>" in row
    assert second.data_file.uploaded_at.strftime("%Y-%m-%d %H:%M") in row

    other = Client()
    other.force_login(outsider)
    assert other.get(path).status_code == 404

    # a running test without new data is shown as silent (after 2 h, or the project's limit)
    user = run.project.memberships.get().user
    later = second.data_file.uploaded_at + dt.timedelta(hours=3)
    assert live_of_cells(user, [run.cell], now=later)[run.cell_id].status == (
        "running, no data for 3.0 h"
    )
    rule(run.project, "no_data", hours=5.0)  # the project's own limit
    assert live_of_cells(user, [run.cell], now=later)[run.cell_id].status == "running"
