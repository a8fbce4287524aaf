"""Registering files queues analysis jobs; jobs are idempotent and fail cleanly."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from labdb import models as m
from labdb.models.immutable import ImmutableRecordError
from labdb.services.catalog import record_save
from labdb.services.ingest import data_file_register
from labdb.services.jobs import MAX_ATTEMPTS, job_claim, job_run, jobs_sweep
from labdb.services.results import CYCLE_COLUMNS, _store_cycles
from labdb.storage import BlobTooLarge, ChecksumMismatch, blob_path


def bdf_csv(cycles: int = 3, ce: float = 0.98, area_cm2: float = 0.785) -> bytes:
    """A small half-cell record in Battery Data Format CSV: plating then stripping at 1 mA/cm2
    for 1 h, stripping giving ``ce`` of the plated charge, with the cycler's per-step charge
    counters (as BDF defines them) so the capacities are exact."""
    i = 1e-3 * area_cm2
    rows = []
    t = 0.0
    for _ in range(cycles):
        for sign, duration in ((-1, 3600.0), (1, 3600.0 * ce)):
            for s in np.append(np.arange(0.0, duration, 60.0), duration):
                v = -0.02 if sign < 0 else 0.02
                q = i * s / 3600.0
                charge, discharge = (q, 0.0) if sign > 0 else (0.0, q)
                rows.append(f"{t + s:.1f},{v:.4f},{sign * i:.6e},{charge:.9e},{discharge:.9e}")
            t += duration + 60.0
    header = (
        "test_time_second,voltage_volt,current_ampere,charging_capacity_ah,discharging_capacity_ah"
    )
    return (header + "\n" + "\n".join(rows) + "\n").encode()


@pytest.fixture
def run(demo: m.Project, demo_user: Any) -> m.TestRun:
    return record_save(
        record=m.TestRun(
            project=demo,
            label="MgAgSn-E-HC1-PS",
            cell=m.Cell.objects.get(label="MgAgSn-E-HC1"),
            protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
        ),
        user=demo_user,
    )


@pytest.fixture
def held_in_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """New jobs stay queued (nothing is sent to a worker), so a test can drive them by hand."""
    monkeypatch.setattr("labdb.services.job_requests._enqueue", lambda job_id: None)


def register(run: m.TestRun, data: bytes, name: str = "cell.csv", **kw: Any) -> Any:
    return data_file_register(
        test_run=run, chunks=[data], original_name=name, user=None, source="cli", **kw
    )


@pytest.mark.django_db(transaction=True)
def test_ingest_creates_file_job_and_results(run: m.TestRun, settings: Any, tmp_path: Path) -> None:
    settings.BLOB_DIR = tmp_path / "blobs"
    data = bdf_csv(cycles=3, ce=0.98)
    registered = register(run, data)
    f, job = registered.data_file, registered.job
    assert registered.created
    assert f.sha256 == hashlib.sha256(data).hexdigest()
    assert blob_path(f.sha256).read_bytes() == data
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    # the cell's area and type, and every default the pipeline used, stated in the job
    assert (job.parameters["area_cm2"], job.parameters["cell_type"]) == (0.785, "half")
    assert job.parameters["ce_short_tolerance"] == 0.01
    assert job.parsed_table.format == "bdf" and job.parsed_table.rows > 300
    result = job.result
    assert result.cycle_count == 3
    assert result.initial_coulombic_efficiency == pytest.approx(0.98, rel=2e-3)
    cycles = list(result.cycle_rows().order_by("cycle"))
    assert [c.cycle for c in cycles] == [1, 2, 3]
    assert cycles[0].plating_capacity_mAh == pytest.approx(0.785, rel=2e-3)
    assert cycles[0].values["plating_capacity_mAh_cm2"] == pytest.approx(1.0, rel=2e-3)
    # every cycle row holds the stored JSON's cycle exactly (the rows are inserted by SQL of
    # their own, not bulk_create), and none can be added once the job has finished
    stored = json.loads(blob_path(job.output_sha256).read_bytes())["tables"]["cycles"]
    for row, c in zip(stored, cycles, strict=True):
        assert c.coulombic_efficiency == row["coulombic_efficiency"]
        assert c.values == {k: v for k, v in row.items() if k not in (*CYCLE_COLUMNS, "cycle")}
    with pytest.raises(ImmutableRecordError):
        _store_cycles(result, [{**stored[0], "cycle": 99}])
    assert result.cycle_rows().count() == 3


@pytest.mark.django_db(transaction=True)
def test_same_file_twice_gives_one_file_and_one_job(
    run: m.TestRun, settings: Any, tmp_path: Path
) -> None:
    settings.BLOB_DIR = tmp_path / "blobs"
    data = bdf_csv(cycles=1)
    first = register(run, data, "a.csv")
    second = register(run, data, "renamed.csv")
    assert not second.created
    assert second.data_file.pk == first.data_file.pk
    assert second.job.pk == first.job.pk
    assert m.DataFile.objects.count() == 1
    assert m.AnalysisJob.objects.filter(kind="cycling").count() == 1  # (and its dQ/dV)


@pytest.mark.django_db(transaction=True)
def test_malformed_file_fails_its_job_with_the_message_and_no_rows(
    run: m.TestRun, settings: Any, tmp_path: Path
) -> None:
    settings.BLOB_DIR = tmp_path / "blobs"
    bad = (
        b"test_time_second,voltage_volt,current_ampere\n0,0.1,-0.001\n60,0.1,-0.001,7,8\n"
        b"120,0.1,-0.001\n180,0.1,-0.001\n"
    )
    registered = register(run, bad, "broken.csv")
    job = registered.job
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error.startswith("broken.csv, row 3: malformed row: expected 3 fields"), job.error
    assert blob_path(registered.data_file.sha256).exists()  # the file itself is kept
    assert not m.AnalysisResult.objects.exists()
    assert not m.CycleResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_wrong_checksum_stores_nothing(run: m.TestRun, settings: Any, tmp_path: Path) -> None:
    settings.BLOB_DIR = tmp_path / "blobs"
    with pytest.raises(ChecksumMismatch):
        register(run, bdf_csv(1), expected_sha256="0" * 64)
    with pytest.raises(BlobTooLarge):
        register(run, bdf_csv(1), max_bytes=100)
    assert not m.DataFile.objects.exists()
    assert not any(p.is_file() for p in (tmp_path / "blobs").rglob("*") if p.parent.name != "tmp")


@pytest.mark.django_db(transaction=True)
def test_hostile_file_names_are_metadata_only(
    run: m.TestRun, settings: Any, tmp_path: Path
) -> None:
    settings.BLOB_DIR = tmp_path / "blobs"
    registered = register(run, bdf_csv(1), "../../etc/passwd\x00" + "x" * 400 + ".csv")
    f = registered.data_file
    assert "/" not in f.original_name and "\x00" not in f.original_name
    assert len(f.original_name) <= 200 and f.original_name.endswith(".csv")
    assert blob_path(f.sha256).parent.parent == tmp_path / "blobs"


@pytest.mark.django_db(transaction=True)
def test_reanalysis_with_other_parameters_keeps_old_results(
    run: m.TestRun, settings: Any, tmp_path: Path
) -> None:
    from labdb.services.jobs import job_rerun

    settings.BLOB_DIR = tmp_path / "blobs"
    job = register(run, bdf_csv(4)).job
    new, created = job_rerun(job=job, parameters={"average_ce_first_cycle": 3}, user=None)
    assert created
    new.refresh_from_db()
    assert new.pk != job.pk and new.status == "succeeded"
    assert new.result.summary["metrics"]["average_coulombic_efficiency_window"][0] == 3
    assert job.result.summary["metrics"]["average_coulombic_efficiency_window"][0] == 2
    # asking again for the same parameters is the same job
    again, created = job_rerun(job=job, parameters={"average_ce_first_cycle": 3}, user=None)
    assert (again.pk, created) == (new.pk, False)


@pytest.mark.django_db(transaction=True)
def test_claim_is_exclusive_and_finished_jobs_are_not_rerun(
    run: m.TestRun, settings: Any, tmp_path: Path, held_in_queue: None
) -> None:
    settings.BLOB_DIR = tmp_path / "blobs"
    job = register(run, bdf_csv(1)).job
    assert job.status == "queued"
    first = job_claim(str(job.pk), worker="w1")
    second = job_claim(str(job.pk), worker="w2")
    assert first is not None and second is None
    m.AnalysisJob.objects.filter(pk=job.pk).update(status="queued", attempts=0)
    done = job_run(str(job.pk), worker="w1")
    assert done is not None and done.status == "succeeded"
    assert job_run(str(job.pk), worker="w2") is None
    assert m.AnalysisResult.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_job_started_max_attempts_times_fails(
    run: m.TestRun, settings: Any, tmp_path: Path, held_in_queue: None
) -> None:
    settings.BLOB_DIR = tmp_path / "blobs"
    job = register(run, bdf_csv(1)).job
    past = timezone.now() - dt.timedelta(hours=5)
    # workers claimed it and died before storing anything, MAX_ATTEMPTS times
    m.AnalysisJob.objects.filter(pk=job.pk).update(
        status="running", attempts=MAX_ATTEMPTS, lease_expires_at=past
    )
    assert job_claim(str(job.pk), worker="w3") is None
    job.refresh_from_db()
    assert job.status == "failed"
    assert f"started {MAX_ATTEMPTS} times without finishing" in job.error


@pytest.mark.django_db(transaction=True)
def test_sweep_requeues_expired_leases(
    run: m.TestRun, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.BLOB_DIR = tmp_path / "blobs"
    monkeypatch.setattr("labdb.services.job_requests._enqueue", lambda job_id: None)
    job = register(run, bdf_csv(1)).job
    monkeypatch.undo()
    # a worker claimed it and died: the lease ran out
    m.AnalysisJob.objects.filter(pk=job.pk).update(
        status="running", attempts=1, lease_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert jobs_sweep() == [str(job.pk)]  # eager: the re-sent job runs again right away
    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 2
    assert m.AnalysisResult.objects.filter(job=job).exists()


@pytest.mark.django_db(transaction=True)
def test_ingest_command(run: m.TestRun, settings: Any, tmp_path: Path, capsys: Any) -> None:
    settings.BLOB_DIR = tmp_path / "blobs"
    path = tmp_path / "run.csv"
    path.write_bytes(bdf_csv(2))
    call_command("ingest", str(path), "--test-run", run.label)
    out = capsys.readouterr().out
    assert "run.csv: registered as" in out and "cycling succeeded" in out
    call_command("ingest", str(path), "--test-run", run.label)
    assert "already registered" in capsys.readouterr().out
