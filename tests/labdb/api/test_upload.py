"""Uploads: verified, streamed, idempotent; parse errors are the job's, not the transport's."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from labdb import models as m
from labdb.api.uploads import LimitedTemporaryFileUploadHandler, UploadTooLarge
from labdb.storage import blob_path
from tests.labdb.api.conftest import sha, token_client
from tests.labdb.test_ingest_and_jobs import bdf_csv

URL = "/api/v1/test-runs/MgAgSn-E-HC1-PS/files/"


def post(client: Any, data: bytes, name: str = "cell.csv", digest: str | None = None) -> Any:
    return client.post(
        URL,
        {"file": SimpleUploadedFile(name, data), "sha256": digest or sha(data)},
        format="multipart",
    )


@pytest.fixture
def uploader(demo_user: Any, run: m.TestRun) -> Any:
    return token_client(demo_user, "upload")


def stored_blobs(settings: Any) -> list[str]:
    root = settings.BLOB_DIR
    return [p.name for p in root.rglob("*") if p.is_file() and p.parent.name != "tmp"]


@pytest.mark.django_db
def test_upload_answers_file_sha_and_job_and_the_job_succeeds(
    uploader: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = bdf_csv(cycles=2)
    with django_capture_on_commit_callbacks(execute=True):
        r = post(uploader, data)
    assert r.status_code == 201, r.data
    body = r.json()
    assert body["sha256"] == sha(data) and body["created"] is True
    assert body["job"]["url"].endswith(f"/api/v1/jobs/{body['job']['id']}/")
    job = uploader.get(body["job"]["url"]).json()
    assert job["status"] == "succeeded" and job["progress"] == 1.0 and job["error"] == ""
    assert m.DataFile.objects.get(pk=body["id"]).source == "api"
    assert blob_path(sha(data)).read_bytes() == data


@pytest.mark.django_db
def test_wrong_sha256_is_400_and_stores_nothing(uploader: Any, settings: Any) -> None:
    r = post(uploader, bdf_csv(1), digest="0" * 64)
    assert r.status_code == 400
    assert "sha256 mismatch" in r.json()["sha256"][0]
    assert not m.DataFile.objects.exists() and not m.AnalysisJob.objects.exists()
    assert stored_blobs(settings) == []


@pytest.mark.django_db
def test_missing_or_malformed_sha256_is_400(uploader: Any) -> None:
    r = uploader.post(URL, {"file": SimpleUploadedFile("a.csv", b"x")}, format="multipart")
    assert r.status_code == 400 and "sha256" in r.json()
    r = post(uploader, b"x", digest="not-a-digest")
    assert r.status_code == 400 and "sha256" in r.json()


@pytest.mark.django_db
def test_oversized_body_is_413_before_anything_is_stored(uploader: Any, settings: Any) -> None:
    settings.MAX_UPLOAD_BYTES = 10_000
    data = b"0" * 200_000  # over the limit plus the multipart allowance: refused by length
    r = post(uploader, data)
    assert r.status_code == 413, r.content
    assert "limit of 10000 bytes" in r.json()["detail"]
    data = b"1" * 20_000  # over the limit, within the allowance: refused while streaming
    r = post(uploader, data)
    assert r.status_code == 413, r.content
    assert not m.DataFile.objects.exists() and stored_blobs(settings) == []


def test_upload_handler_stops_counting_at_the_limit() -> None:
    handler = LimitedTemporaryFileUploadHandler(None, limit=100)
    handler.handle_raw_input(None, {}, 0, b"b")  # unknown length: checked while streaming
    handler.new_file("file", "a.bin", "application/octet-stream", None)
    assert handler.receive_data_chunk(b"x" * 60, 0) is None
    with pytest.raises(UploadTooLarge):
        handler.receive_data_chunk(b"x" * 60, 60)
    with pytest.raises(UploadTooLarge):
        handler.handle_raw_input(None, {}, 10**9, b"b")


@pytest.mark.django_db
def test_same_file_again_is_200_with_the_same_record_and_no_second_job(
    uploader: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = bdf_csv(1)
    with django_capture_on_commit_callbacks(execute=True):
        first = post(uploader, data, "a.csv")
        second = post(uploader, data, "renamed.csv")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["job"]["id"] == first.json()["job"]["id"]
    assert second.json()["created"] is False
    assert m.DataFile.objects.count() == 1
    assert m.AnalysisJob.objects.filter(kind="cycling").count() == 1  # (and its dQ/dV)


@pytest.mark.django_db
def test_unparseable_file_is_accepted_and_its_job_fails_with_the_parsers_message(
    uploader: Any, django_capture_on_commit_callbacks: Any
) -> None:
    bad = (
        b"test_time_second,voltage_volt,current_ampere\n0,0.1,-0.001\n60,0.1,-0.001,7,8\n"
        b"120,0.1,-0.001\n180,0.1,-0.001\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        r = post(uploader, bad, "broken.csv")
    assert r.status_code == 201  # transport succeeded: the file is stored
    job = uploader.get(r.json()["job"]["url"]).json()
    assert job["status"] == "failed"
    assert job["error"].startswith("broken.csv, row 3: malformed row"), job["error"]
    assert blob_path(sha(bad)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.csv", "..\\..\\boot.ini.csv", "nul\x00byte.csv", "x" * 300 + ".csv"],
)
def test_hostile_names_are_metadata_only(uploader: Any, settings: Any, name: str) -> None:
    data = bdf_csv(1)
    r = post(uploader, data, name)
    assert r.status_code == 201, r.content
    kept = r.json()["original_name"]
    assert "/" not in kept and "\\" not in kept and "\x00" not in kept and ".." not in kept
    assert len(kept) <= 200 and kept.endswith(".csv")
    assert stored_blobs(settings) == [sha(data)]  # stored by hash only


@pytest.mark.django_db
def test_upload_to_another_projects_run_is_404(outsider: Any, run: m.TestRun) -> None:
    r = post(token_client(outsider, "read-write"), bdf_csv(1))
    assert r.status_code == 404
    assert not m.DataFile.objects.exists()


@pytest.mark.django_db
def test_instrument_token_creates_runs_on_its_instrument_only(
    demo_user: Any, run: m.TestRun
) -> None:
    bcs = m.Instrument.objects.get(label="BCS-805-1")
    client = token_client(demo_user, "upload", instrument=bcs)
    r = client.post(
        "/api/v1/test-runs/", {"cell": "Ag-E-HC1", "protocol": "PS-1mA-1mAh", "channel": "4"}
    )
    assert r.status_code == 201, r.data
    assert r.json()["instrument"] == "BCS-805-1"
    assert r.json()["label"] == "Ag-E-HC1-PS-1mA-1mAh-1"
    r = client.post("/api/v1/test-runs/", {"cell": "Ag-E-HC1", "protocol": "PS-1mA-1mAh"})
    assert r.json()["label"] == "Ag-E-HC1-PS-1mA-1mAh-2"
    r = client.post(
        "/api/v1/test-runs/",
        {"cell": "Ag-E-HC1", "protocol": "PS-1mA-1mAh", "instrument": "Arbin-LBT-1"},
    )
    assert r.status_code == 403
    run.instrument = m.Instrument.objects.get(label="Arbin-LBT-1")
    run.save()
    assert post(client, bdf_csv(1)).status_code == 403


@pytest.mark.django_db
def test_test_run_by_protocol_name_and_errors_name_the_field(
    demo_user: Any, demo: m.Project
) -> None:
    client = token_client(demo_user, "upload")
    protocol = m.TestProtocol.objects.get(label="PS-1mA-1mAh")
    r = client.post(
        "/api/v1/test-runs/", {"cell": "Mg-E-HC1", "protocol": protocol.name, "label": "R-1"}
    )
    assert r.status_code == 201 and r.json()["protocol"] == "PS-1mA-1mAh"
    assert r.json()["protocol_kind"] == "plating_stripping"
    entry = m.HistoryEntry.objects.get(record_label="R-1")
    assert entry.action == "created" and entry.user == demo_user
    r = client.post("/api/v1/test-runs/", {"cell": "No-Such-Cell", "protocol": protocol.name})
    assert r.status_code == 400 and "No-Such-Cell" in r.json()["cell"][0]
    r = client.post(
        "/api/v1/test-runs/", {"cell": "Mg-E-HC1", "protocol": protocol.name, "label": "R-1"}
    )
    assert r.status_code == 400 and "label" in r.json()


@pytest.mark.django_db
def test_rerun_with_overrides_and_row_tables(
    demo_user: Any, analysed: m.DataFile, run: m.TestRun, django_capture_on_commit_callbacks: Any
) -> None:
    client = token_client(demo_user, "read-write")
    job = analysed.jobs.get(kind="cycling")
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            f"/api/v1/jobs/{job.pk}/rerun/", {"parameters": {"average_ce_first_cycle": 3}}
        )
    assert r.status_code == 201, r.data
    new = r.json()
    assert new["parameters"]["average_ce_first_cycle"] == 3 and new["id"] != str(job.pk)
    assert new["parameters"]["area_cm2"] == job.parameters["area_cm2"]
    again = client.post(
        f"/api/v1/jobs/{job.pk}/rerun/", {"parameters": {"average_ce_first_cycle": 3}}
    )
    # the default stated explicitly is the analysis that already ran: the same job
    same = client.post(
        f"/api/v1/jobs/{job.pk}/rerun/", {"parameters": {"average_ce_first_cycle": 2}}
    )
    assert same.status_code == 200 and same.json()["id"] == str(job.pk)
    assert again.status_code == 200 and again.json()["id"] == new["id"]
    bad = client.post(f"/api/v1/jobs/{job.pk}/rerun/", {"parameters": {"no_such": 1}})
    assert bad.status_code == 400 and "no_such" in str(bad.json())

    rows = client.get(f"/api/v1/test-runs/{run.label}/cycles/?job={job.pk}").json()
    assert [r["cycle"] for r in rows] == [1, 2, 3]
    assert rows[0]["coulombic_efficiency"] == pytest.approx(0.98, rel=2e-3)
    assert rows[0]["plating_capacity_mAh"] == pytest.approx(0.785, rel=2e-3)
    csv = client.get(f"/api/v1/test-runs/{run.pk}/cycles/?format=csv&job={job.pk}")
    assert csv["Content-Type"].startswith("text/csv")
    frame = pd.read_csv(io.BytesIO(csv.content))
    assert list(frame["cycle"]) == [1, 2, 3]
    parquet = client.get(
        f"/api/v1/test-runs/{run.label}/metrics/", HTTP_ACCEPT="application/vnd.apache.parquet"
    )
    metrics = pd.read_parquet(io.BytesIO(parquet.content))
    cycling = metrics[metrics["kind"] == "cycling"]  # (one dQ/dV row, without run metrics)
    assert len(cycling) == 2 and set(cycling["cycle_count"]) == {3}
    assert list(metrics["kind"]).count("dqdv") == 1
    ranged = client.get("/api/v1/results/?initial_coulombic_efficiency_min=0.99").json()
    assert ranged["results"] == []
    ranged = client.get("/api/v1/results/?initial_coulombic_efficiency_min=0.97").json()
    assert len(ranged["results"]) == 2


@pytest.mark.django_db
def test_catalog_filters_and_writes_record_history(demo_user: Any, demo: m.Project) -> None:
    client = token_client(demo_user, "read-write")
    cells = client.get("/api/v1/cells/?seed=Mg&kind=half").json()["results"]
    assert cells and all("Mg" in c["label"] for c in cells)
    assert {"id", "label", "kind", "formulation"} <= set(cells[0])
    protocols = client.get("/api/v1/protocols/?search=plating").json()["results"]
    assert protocols and {"name", "kind"} <= set(protocols[0])
    r = client.patch("/api/v1/cells/Mg-E-HC1/", {"stack_pressure_mpa": 60})
    assert r.status_code == 200
    entry = m.HistoryEntry.objects.filter(record_label="Mg-E-HC1", action="updated").get()
    assert entry.changes["stack_pressure_mpa"] == [50.0, 60.0] and entry.user == demo_user
    r = client.patch("/api/v1/cells/Mg-E-HC1/", {"area_cm2": -1})
    assert r.status_code == 400 and "area_cm2" in r.json()
    r = client.patch("/api/v1/protocols/PS-1mA-1mAh/", {"parameters": {"x": "\x00"}})
    assert r.status_code == 400


@pytest.mark.django_db
def test_a_cycling_run_without_a_cell_is_refused_unless_cell_type_is_given(
    demo: m.Project, demo_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    m.TestRun.objects.create(
        project=demo,
        label="B1-PS",
        electrode_batch=m.ElectrodeBatch.objects.filter(project=demo).first(),
        protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
    )
    client = token_client(demo_user, "upload")
    url = "/api/v1/test-runs/B1-PS/files/"
    data = bdf_csv(cycles=2)
    r = client.post(
        url, {"file": SimpleUploadedFile("a.csv", data), "sha256": sha(data)}, format="multipart"
    )
    assert r.status_code == 201, r.data
    body = r.json()
    assert body["job"] is None and "has no cell" in body["analysis_refused"]
    assert not m.AnalysisJob.objects.exists()  # never guessed to be a half cell

    other = bdf_csv(cycles=3)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            url,
            {
                "file": SimpleUploadedFile("b.csv", other),
                "sha256": sha(other),
                "parameters": '{"cell_type": "half", "area_cm2": 0.785}',
            },
            format="multipart",
        )
    assert r.status_code == 201 and r.json()["analysis_refused"] == ""
    job = m.AnalysisJob.objects.get(kind="cycling")
    assert job.status == "succeeded", job.error
    assert (job.parameters["cell_type"], job.parameters["area_cm2"]) == ("half", 0.785)
    assert job.result.cycle_count == 3

    bad = client.post(
        url,
        {"file": SimpleUploadedFile("c.csv", b"x"), "sha256": sha(b"x"), "parameters": "[1]"},
        format="multipart",
    )
    assert bad.status_code == 400 and "parameters" in bad.json()
