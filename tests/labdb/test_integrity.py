"""Raw data, parsed tables, results and history cannot be changed; the blob store is verified;
analyses reproduce."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from labdb import models as m
from labdb.models import ImmutableRecordError
from labdb.services.catalog import record_save
from labdb.services.ingest import data_file_register
from labdb.storage import blob_path, iter_blobs
from tests.labdb.test_ingest_and_jobs import bdf_csv


@pytest.fixture
def analysed(demo: m.Project, settings: Any, tmp_path: Path) -> m.AnalysisJob:
    settings.BLOB_DIR = tmp_path / "blobs"
    run = record_save(
        record=m.TestRun(
            project=demo,
            label="Sn-E-HC1-PS",
            cell=m.Cell.objects.get(label="Sn-E-HC1"),
            protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
        ),
        user=None,
    )
    job = data_file_register(
        test_run=run, chunks=[bdf_csv(3, ce=0.97)], original_name="sn.csv", user=None, source="cli"
    ).job
    job.refresh_from_db()
    assert job.status == "succeeded"
    return job


@pytest.mark.django_db(transaction=True)
def test_orm_refuses_changes_to_immutable_records(analysed: m.AnalysisJob) -> None:
    f = analysed.data_file
    f.original_name = "renamed.csv"
    with pytest.raises(ImmutableRecordError):
        f.save()
    with pytest.raises(ImmutableRecordError):
        f.delete()
    with pytest.raises(ImmutableRecordError):
        m.DataFile.objects.filter(pk=f.pk).update(original_name="x")
    with pytest.raises(ImmutableRecordError):
        m.CycleResult.objects.filter(result__job=analysed).update(coulombic_efficiency=1.0)
    with pytest.raises(ImmutableRecordError):
        m.AnalysisResult.objects.all().delete()
    with pytest.raises(ImmutableRecordError):
        m.HistoryEntry.objects.all().delete()
    with pytest.raises(ImmutableRecordError):
        m.AnalysisJob.objects.filter(pk=analysed.pk).update(status="queued")
    analysed.refresh_from_db()
    assert analysed.status == "succeeded"
    assert m.CycleResult.objects.filter(result__job=analysed, coulombic_efficiency=1.0).count() == 0


@pytest.mark.django_db(transaction=True)
def test_raw_sql_tampering_is_refused_on_postgresql(analysed: m.AnalysisJob) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("database triggers are installed on PostgreSQL only (the ORM guards SQLite)")
    for sql in (
        "UPDATE labdb_datafile SET original_name = 'x'",
        "DELETE FROM labdb_cycleresult",
        "UPDATE labdb_analysisresult SET initial_coulombic_efficiency = 1",
        "DELETE FROM labdb_historyentry",
        "UPDATE labdb_analysisjob SET status = 'queued'",
        "DELETE FROM labdb_parsedtable",
    ):
        with (
            pytest.raises(DatabaseError, match="refused"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert m.CycleResult.objects.filter(result__job=analysed).count() == 3


@pytest.mark.django_db(transaction=True)
def test_admin_cannot_change_raw_data(analysed: m.AnalysisJob) -> None:
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_superuser("boss", password="pw-boss-123")
    client = Client()
    client.force_login(staff)
    url = f"/admin/labdb/datafile/{analysed.data_file.pk}/"
    assert client.post(url + "delete/", {"post": "yes"}).status_code == 403
    assert m.DataFile.objects.filter(pk=analysed.data_file.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_flipped_byte_in_the_blob_store_is_reported(
    analysed: m.AnalysisJob, capsys: Any, client_demo: Client
) -> None:
    call_command("verify_storage")
    assert "stored files verified" in capsys.readouterr().out
    path = blob_path(analysed.data_file.sha256)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))
    # raw file, parsed table (one, shared by the cycling job and its dQ/dV follow-on), and of
    # each of their results: its tables and series, the pipeline's JSON
    stored = len(list(iter_blobs()))
    jobs = m.AnalysisJob.objects.filter(data_file=analysed.data_file)
    assert sorted(j.kind for j in jobs) == ["cycling", "dqdv"]
    assert {j.parsed_table.sha256 for j in jobs} == {analysed.parsed_table.sha256}
    assert stored == 2 + sum(j.result.tables.count() + 1 for j in jobs)
    with pytest.raises(CommandError, match=f"1 of {stored} stored files failed the check"):
        call_command("verify_storage")
    err = capsys.readouterr().err
    assert analysed.data_file.sha256 in err and "content does not match its sha256" in err
    assert "sn.csv on Sn-E-HC1-PS" in err
    home = client_demo.get("/").content.decode()
    assert "Storage check" in home and analysed.data_file.sha256[:12] in home


@pytest.mark.django_db(transaction=True)
def test_reproduce_confirms_identical_outputs(analysed: m.AnalysisJob, capsys: Any) -> None:
    assert len(analysed.output_sha256) == 64
    assert analysed.input_sha256 == [analysed.data_file.sha256, analysed.parsed_table.sha256]
    call_command("reproduce", str(analysed.pk))
    out = capsys.readouterr().out
    assert "identical" in out and analysed.output_sha256 in out
    # a test run: its cycling job and the dQ/dV job that follows it, each from the raw file
    call_command("reproduce", "Sn-E-HC1-PS")
    out = capsys.readouterr().out
    (dqdv,) = m.AnalysisJob.objects.filter(data_file=analysed.data_file, kind="dqdv")
    assert out.index(f"job {analysed.pk} (cycling,") < out.index(f"job {dqdv.pk} (dqdv,")
    assert out.count("identical") == 2 and dqdv.output_sha256 in out
    call_command("reproduce", "Sn-E-HC1-PS", "--kind", "cycling")
    out = capsys.readouterr().out
    assert "(cycling," in out and "(dqdv," not in out and out.count("identical") == 1
    with pytest.raises(CommandError, match="no eis job"):
        call_command("reproduce", "Sn-E-HC1-PS", "--kind", "eis")


@pytest.mark.django_db(transaction=True)
def test_job_records_its_provenance(analysed: m.AnalysisJob) -> None:
    import analysis

    assert analysed.analysis_version == analysis.__version__
    assert set(analysed.library_versions) >= {"numpy", "scipy", "pandas"}
    assert analysed.claimed_by and analysed.started_at <= analysed.finished_at
    assert len(analysed.parameters_sha256) == 64
    actions = list(
        m.HistoryEntry.objects.filter(record_id=analysed.pk)
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert actions == ["analysis.queued", "analysis.started", "analysis.succeeded"]


def _flip_a_byte(sha256: str) -> None:
    path = blob_path(sha256)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.django_db(transaction=True)
def test_a_damaged_raw_file_is_refused_by_jobs_and_downloads_and_a_re_upload_repairs_it(
    analysed: m.AnalysisJob, client_demo: Client, capsys: Any
) -> None:
    from labdb.services.jobs import job_rerun

    data_file = analysed.data_file
    good = blob_path(data_file.sha256).read_bytes()
    _flip_a_byte(data_file.sha256)
    # a job reading it refuses, naming the file and the reason, and records no result
    job, created = job_rerun(job=analysed, parameters={"average_ce_first_cycle": 3}, user=None)
    job.refresh_from_db()
    assert created and job.status == "failed"
    assert data_file.sha256 in job.error and "damaged" in job.error
    assert not m.AnalysisResult.objects.filter(job=job).exists()
    # a download refuses with the reason instead of serving the damaged bytes
    response = client_demo.get(f"/api/v1/files/{data_file.pk}/download/")
    assert response.status_code == 503
    assert response.json()["code"] == "stored_file_damaged"
    assert "uploaded again" in response.json()["detail"]
    # verify_storage names it
    with pytest.raises(CommandError):
        call_command("verify_storage")
    assert data_file.sha256 in capsys.readouterr().err
    # uploading the good bytes again repairs the stored file
    again = data_file_register(
        test_run=data_file.test_run, chunks=[good], original_name="sn.csv", user=None, source="cli"
    )
    assert not again.created and again.data_file.pk == data_file.pk
    assert blob_path(data_file.sha256).read_bytes() == good
    call_command("verify_storage")
    assert "stored files verified" in capsys.readouterr().out
    download = client_demo.get(f"/api/v1/files/{data_file.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == good
    repaired, _ = job_rerun(job=analysed, parameters={"average_ce_first_cycle": 4}, user=None)
    repaired.refresh_from_db()
    assert repaired.status == "succeeded", repaired.error


@pytest.mark.django_db(transaction=True)
def test_re_running_a_failed_job_makes_a_new_attempt(analysed: m.AnalysisJob) -> None:
    from labdb.services.jobs import job_rerun

    data_file = analysed.data_file
    good = blob_path(data_file.sha256).read_bytes()
    _flip_a_byte(data_file.sha256)
    failed, _ = job_rerun(job=analysed, parameters={"average_ce_first_cycle": 3}, user=None)
    failed.refresh_from_db()
    assert failed.status == "failed"
    data_file_register(
        test_run=data_file.test_run, chunks=[good], original_name="sn.csv", user=None, source="cli"
    )
    again, created = job_rerun(job=analysed, parameters={"average_ce_first_cycle": 3}, user=None)
    assert created and again.pk != failed.pk
    again.refresh_from_db()
    assert again.status == "succeeded"


def test_a_result_stored_with_first_form_digests_still_reproduces_bit_for_bit() -> None:
    """A dQ/dV result stored before its curves were digested per half-cycle names them by the
    first form's digest; ``reproduce`` digests the recomputed curves in that form for it, so
    the reproduced JSON hashes to the stored sha256 (and a changed curve still does not)."""
    from analysis import pipelines
    from analysis.series import series_digest
    from analysis.simulate.cells import CellSpec, generate_cell
    from labdb.provenance import sha256_of
    from labdb.services.integrity import _in_stored_digest_forms

    table = generate_cell(CellSpec("half", 6), seed=5).table
    dqdv = pipelines.get("dqdv")
    result = dqdv.run(table, dqdv.validate({"cell_type": "half"}))
    now = result.to_json()
    assert now["series"]["dqdv"]["digest"] == "labdb.series-digest/2"
    stored = {
        **now,
        "series": {
            **now["series"],
            "dqdv": series_digest(result.frame("dqdv")),
            "dvdq": series_digest(result.frame("dvdq")),
        },
    }
    assert sha256_of(now) != sha256_of(stored)
    assert sha256_of(_in_stored_digest_forms(now, result, stored)) == sha256_of(stored)
    changed = result.frame("dqdv").copy()
    changed.loc[0, "dq_dv_mAh_per_V"] += 1.0
    other = pipelines.Result(**{**result.__dict__, "series": {**result.series, "dqdv": changed}})
    assert sha256_of(_in_stored_digest_forms(now, other, stored)) != sha256_of(stored)
