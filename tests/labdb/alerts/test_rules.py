"""Alert rules on results stored by real analysis jobs (tasks in-process): each rule raises one
alert per event, with its evidence, in the audit trail; re-sent files, re-analyses, grown files
and the periodic sweep never raise it twice; a dead receiver never fails the job."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from labdb import models as m
from labdb.services.alerts import alerts_sweep
from labdb.services.jobs import job_rerun
from tests.labdb.alerts.conftest import half_cell_csv, rule, shorted_cell_csv, upload, webhook_to

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_short_raises_one_alert_with_its_evidence_and_audit_entry(
    run: m.TestRun, blobs: Any, outsider: Any
) -> None:
    short_rule = rule(run.project, "short_circuit")
    rule(m.Project.objects.get(label="other-group"), "short_circuit")  # not this project's
    job = upload(run, shorted_cell_csv(onset=10))
    result = job.result
    assert result.short_circuit_cycle is not None
    alert = m.Alert.objects.get()
    assert (alert.rule, alert.test_run, alert.result) == (short_rule, run, result)
    assert alert.cycle == result.short_circuit_cycle
    fired = alert.evidence["analysis_rules"]
    assert fired and {e["cycle"] for e in fired} == {alert.cycle}
    assert all(e["evidence"] and e["values"] for e in fired)  # sentence, values, thresholds
    assert alert.evidence["job"] == str(job.pk) and alert.evidence["test_run"]["label"] == run.label
    assert f"cycle {alert.cycle}" in alert.message
    entry = m.HistoryEntry.objects.get(action="alert.raised")
    assert entry.record_id == alert.pk and entry.changes["cycle"] == alert.cycle
    run.cell.refresh_from_db()
    assert run.cell.status == "shorted"


def test_re_sent_re_analysed_grown_data_never_duplicate_and_a_dead_hook_never_fails_a_job(
    run: m.TestRun, blobs: Any
) -> None:
    rule(run.project, "short_circuit")
    webhook_to(run.project, "http://127.0.0.1:9/nobody-listens")
    data = shorted_cell_csv(onset=8, cycles=16)
    job = upload(run, data)  # succeeded (upload asserts it), though the webhook is dead
    assert m.Alert.objects.count() == 1
    delivery = m.AlertDelivery.objects.get(channel="webhook")
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "refused" in delivery.last_error or "URLError" in delivery.last_error
    upload(run, data)  # the same file again: the same file record and job
    rerun, created = job_rerun(job=job, parameters={"ce_short_tolerance": 0.02}, user=None)
    assert created
    rerun.refresh_from_db()
    assert rerun.status == "succeeded", rerun.error
    assert rerun.result.short_circuit_cycle is not None
    grown = data + b"\n"  # a new file on the same run, the same data
    upload(run, grown, name="cell-2.csv")
    alerts_sweep(now=dt.datetime.now(dt.UTC))  # re-evaluates the recent results
    assert m.Alert.objects.count() == 1
    assert m.HistoryEntry.objects.filter(action="alert.raised").count() == 1


def test_low_ce_needs_n_consecutive_complete_cycles_below_the_threshold(
    run: m.TestRun, blobs: Any
) -> None:
    three = rule(run.project, "low_ce", threshold=0.97, cycles=3)
    four = rule(run.project, "low_ce", threshold=0.97, cycles=4)
    tiny = rule(run.project, "low_ce", threshold=0.5, cycles=1)
    rule(run.project, "temperature", max_celsius=0.0)  # the file records no temperature
    data = half_cell_csv([0.98, 0.985, 0.95, 0.96, 0.955, 0.985, 0.98])
    lines = data.splitlines(keepends=True)
    # cut during the last stripping: that cycle looks complete with a tiny CE, but while the
    # test runs the file's last cycle is not judged
    job = upload(run, b"".join(lines[: int(len(lines) * 0.95)]))
    last = job.result.cycle_rows().order_by("cycle").last()
    assert last.coulombic_efficiency < 0.5
    alert = m.Alert.objects.get()
    assert alert.rule == three and not four.alerts.exists() and not tiny.alerts.exists()
    assert alert.evidence["cycles"] == [3, 4, 5] and alert.cycle == 5
    assert alert.evidence["coulombic_efficiency"] == pytest.approx([0.95, 0.96, 0.955], abs=2e-3)
    assert alert.evidence["threshold"] == 0.97 and alert.evidence["cycles_required"] == 3


def test_low_retention_fires_below_its_threshold_and_names_the_first_cycle_below(
    run: m.TestRun, blobs: Any
) -> None:
    """Retention against the stated reference cycle (a half cell has none by default): the
    stripping capacity falls to ~80 % of cycle 1's from cycle 4 on."""
    ninety = rule(run.project, "low_retention", threshold=0.9)
    seventy = rule(run.project, "low_retention", threshold=0.7)
    ces = [0.98, 0.98, 0.97, 0.80, 0.79, 0.78, 0.785]
    job = upload(run, half_cell_csv(ces), parameters={"reference_cycle": 1})
    assert job.result.capacity_retention == pytest.approx(0.785 / 0.98, abs=5e-3)
    alert = m.Alert.objects.get()
    assert alert.rule == ninety and not seventy.alerts.exists()
    assert alert.cycle == 4 == alert.evidence["first_cycle_below"]
    assert alert.evidence["retention_at_first_cycle_below"] == pytest.approx(0.80 / 0.98, abs=5e-3)
    assert alert.evidence["reference_cycle"] == 1
    assert m.HistoryEntry.objects.filter(action="alert.raised").count() == 1


def test_temperature_out_of_range_names_row_time_and_cycle(run: m.TestRun, blobs: Any) -> None:
    hot = rule(run.project, "temperature", min_celsius=15.0, max_celsius=40.0)
    rule(run.project, "temperature", min_celsius=10.0, max_celsius=50.0)

    def probe(cycle: int, t: float) -> float:
        return 45.0 if cycle == 2 and t > 9000 else 25.0

    upload(run, half_cell_csv([0.98, 0.98, 0.98], temperature=probe))
    alert = m.Alert.objects.get()
    assert alert.rule == hot
    ev = alert.evidence
    assert ev["temperature_celsius"] == 45.0 and ev["cycle"] == 2 == alert.cycle
    assert ev["test_time_second"] > 9000 and ev["row"] > 1
    assert (ev["min_celsius"], ev["max_celsius"]) == (15.0, 40.0)


def test_no_new_data_is_raised_by_the_sweep_once_per_silence(run: m.TestRun, blobs: Any) -> None:
    rule(run.project, "no_data", hours=2.0)
    job = upload(run, half_cell_csv([0.98, 0.98]))
    run.refresh_from_db()
    assert run.status == "running"
    last = job.data_file.uploaded_at
    assert alerts_sweep(now=last + dt.timedelta(hours=1))["raised"] == 0
    assert alerts_sweep(now=last + dt.timedelta(hours=3))["raised"] == 1
    assert alerts_sweep(now=last + dt.timedelta(hours=4))["raised"] == 0
    alert = m.Alert.objects.get()
    assert alert.evidence["hours"] == 2.0 and alert.evidence["hours_without_data"] == 3.0
    assert alert.evidence["last_data_file"] == str(job.data_file_id)
    m.TestRun.objects.filter(pk=run.pk).update(status="finished")
    assert alerts_sweep(now=last + dt.timedelta(hours=30))["raised"] == 0
