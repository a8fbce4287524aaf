"""Statuses follow the data: a test run goes planned -> running -> finished as its files are
analysed, and a detected short marks the cell shorted, each change in the record's history."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from labdb import models as m
from labdb.services.catalog import record_save
from tests.labdb.web.conftest import make_run

pytestmark = pytest.mark.django_db


def half_cell_csv(ces: list[float], area_cm2: float = 0.785) -> bytes:
    """Plating then stripping at 1 mA/cm2 for 1 h, cycle n stripping ``ces[n-1]`` of the plated
    charge (BDF CSV with the cycler's per-step charge counters)."""
    i = 1e-3 * area_cm2
    rows = []
    t = 0.0
    for ce in ces:
        for sign, duration in ((-1, 3600.0), (1, 3600.0 * ce)):
            for s in np.append(np.arange(0.0, duration, 60.0), duration):
                q = i * s / 3600.0
                charge, discharge = (q, 0.0) if sign > 0 else (0.0, q)
                v = -0.02 if sign < 0 else 0.02
                rows.append(f"{t + s:.1f},{v:.4f},{sign * i:.6e},{charge:.9e},{discharge:.9e}")
            t += duration + 60.0
    header = (
        "test_time_second,voltage_volt,current_ampere,charging_capacity_ah,discharging_capacity_ah"
    )
    return (header + "\n" + "\n".join(rows) + "\n").encode()


def reasons(record: Any) -> list[tuple[list[Any], str]]:
    """(status [before, after], reason) of each status change in the record's history."""
    out = []
    updates = m.HistoryEntry.objects.filter(record_id=record.pk, action="updated")
    for h in updates.order_by("at", "id"):
        if "status" in h.changes:
            out.append((h.changes["status"], h.changes.get("status_reason", [None, ""])[1]))
    return out


def test_first_data_start_the_run_and_the_cell(
    demo: m.Project, demo_user: Any, ingest: Any
) -> None:
    run = make_run(demo, demo_user, "MgAgSn-E-HC1-PS", "MgAgSn-E-HC1", "PS-1mA-1mAh")
    assert run.status == "planned"
    job = ingest(run, half_cell_csv([0.98, 0.98, 0.98]), "hc1.csv")
    run.refresh_from_db()
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    assert (run.status, cell.status) == ("running", "testing")
    [(change, why)] = reasons(run)
    assert change == ["planned", "running"] and str(job.pk) in why
    assert reasons(cell) == [
        (["assembled", "testing"], f"MgAgSn-E-HC1-PS is running (analysis job {job.pk})")
    ]


def test_a_short_marks_the_cell_shorted_at_its_cycle(
    demo: m.Project, demo_user: Any, ingest: Any
) -> None:
    run = make_run(demo, demo_user, "MgAgSn-E-HC2-PS", "MgAgSn-E-HC2", "PS-1mA-1mAh")
    job = ingest(run, half_cell_csv([0.98, 0.98, 0.98, 1.3, 1.4]), "hc2.csv")
    short = job.result.short_circuit_cycle
    assert short == 4
    run.refresh_from_db()
    cell = m.Cell.objects.get(label="MgAgSn-E-HC2")
    assert (run.status, cell.status) == ("finished", "shorted")
    [(change, why)] = reasons(cell)
    assert change == ["assembled", "shorted"]
    assert f"short circuit detected at cycle {short} of MgAgSn-E-HC2-PS" in why
    # a person reverses it (audited), and a re-sent identical file changes nothing
    cell.status = "testing"
    record_save(record=cell, user=demo_user)
    assert ingest(run, half_cell_csv([0.98, 0.98, 0.98, 1.3, 1.4]), "hc2.csv").pk == job.pk
    cell.refresh_from_db()
    assert cell.status == "testing"
    reversal = m.HistoryEntry.objects.filter(record_id=cell.pk, action="updated", user=demo_user)
    assert [h.changes["status"] for h in reversal] == [["shorted", "testing"]]


def test_the_protocols_cycle_count_finishes_the_run(
    demo: m.Project, demo_user: Any, ingest: Any
) -> None:
    record_save(
        record=m.TestProtocol(
            project=demo,
            label="PS-3",
            name="Plating 3 cycles",
            kind="plating_stripping",
            parameters={
                "current_density_mA_cm2": 1.0,
                "areal_capacity_mAh_cm2": 1.0,
                "temperature_degC": 25.0,
                "cycles": 3,
            },
        ),
        user=demo_user,
    )
    run = make_run(demo, demo_user, "MgAgSn-E-HC1-PS3", "MgAgSn-E-HC1", "PS-3")
    ingest(run, half_cell_csv([0.98, 0.98]), "first-two.csv")
    run.refresh_from_db()
    assert run.status == "running"
    ingest(run, half_cell_csv([0.98, 0.98, 0.98]), "all-three.csv")
    run.refresh_from_db()
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    assert (run.status, cell.status) == ("finished", "finished")


def test_a_persons_aborted_or_retired_is_kept(demo: m.Project, demo_user: Any, ingest: Any) -> None:
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    cell.status = "retired"
    record_save(record=cell, user=demo_user)
    run = make_run(
        demo, demo_user, "MgAgSn-E-HC1-PS", "MgAgSn-E-HC1", "PS-1mA-1mAh", status="aborted"
    )
    ingest(run, half_cell_csv([0.98, 1.3, 1.4]), "hc1.csv")
    run.refresh_from_db()
    cell.refresh_from_db()
    assert (run.status, cell.status) == ("aborted", "retired")
