"""Jobs (status polling, re-run), browser uploads, global search, home page, Plotly serving."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from labdb import models as m
from tests.labdb.test_ingest_and_jobs import bdf_csv
from tests.labdb.web.conftest import make_run


def test_jobs_list_and_status_json(client_demo: Client, cycling: Any) -> None:
    job = cycling.job
    html = client_demo.get("/jobs/").content.decode()
    assert f"/jobs/{job.pk}/" in html and "hc1.csv" in html
    body = client_demo.get(f"/jobs/status.json?ids={job.pk},not-a-uuid").json()
    assert body["jobs"] == [
        {
            "id": str(job.pk),
            "status": "succeeded",
            "progress": 1.0,
            "error": "",
            "finished": True,
            "url": f"/jobs/{job.pk}/",
        }
    ]
    assert client_demo.get("/jobs/?status=failed").content.decode().count("/jobs/") < html.count(
        "/jobs/"
    )


def test_rerun_with_changed_parameters_makes_a_new_job(
    client_demo: Client, cycling: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = cycling.job
    with django_capture_on_commit_callbacks(execute=True):
        response = client_demo.post(
            f"/jobs/{job.pk}/rerun/", {"parameters": json.dumps({"average_ce_first_cycle": 3})}
        )
    new = m.AnalysisJob.objects.exclude(pk=job.pk).get(data_file=job.data_file, kind="cycling")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{new.pk}/"
    assert new.parameters["average_ce_first_cycle"] == 3
    assert new.parameters["cell_type"] == "half"  # the rest is kept
    new.refresh_from_db()
    assert new.status == "succeeded"
    assert new.result.summary["metrics"]["average_coulombic_efficiency_window"] == [3, 5]


def test_rerun_refuses_bad_parameters_with_a_message(client_demo: Client, cycling: Any) -> None:
    url = f"/jobs/{cycling.job.pk}/rerun/"
    response = client_demo.post(url, {"parameters": "{not json"})
    assert response.status_code == 400 and "Not valid JSON" in response.content.decode()
    response = client_demo.post(url, {"parameters": json.dumps({"colour": "red"})})
    assert response.status_code == 400
    assert "colour: unknown parameter" in response.content.decode()
    assert m.AnalysisJob.objects.filter(kind="cycling").count() == 1  # (and its dQ/dV)


def test_job_pages_are_project_scoped(client: Client, outsider: Any, cycling: Any) -> None:
    client.force_login(outsider)
    assert client.get(f"/jobs/{cycling.job.pk}/").status_code == 404
    assert client.post(f"/jobs/{cycling.job.pk}/rerun/", {"parameters": "{}"}).status_code == 404
    assert client.get(f"/jobs/status.json?ids={cycling.job.pk}").json() == {"jobs": []}
    assert "hc1.csv" not in client.get("/jobs/").content.decode()


@pytest.fixture
def run(demo: m.Project, demo_user: Any) -> m.TestRun:
    return make_run(demo, demo_user, "MgAgSn-E-HC2-PS", "MgAgSn-E-HC2", "PS-1mA-1mAh")


def test_upload_registers_the_file_and_runs_its_job(
    client_demo: Client, run: m.TestRun, blobs: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = bdf_csv(cycles=2)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_demo.post(
            "/upload/",
            {"test_run": str(run.pk), "file": SimpleUploadedFile("hc2.csv", data)},
            HTTP_ACCEPT="application/json",
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["created"] is True and body["name"] == "hc2.csv"
    job = m.AnalysisJob.objects.get(pk=body["job"]["id"])
    assert job.status == "succeeded" and job.data_file.source == "web"
    assert job.result.cycle_count == 2
    again = client_demo.post(
        "/upload/",
        {"test_run": str(run.pk), "file": SimpleUploadedFile("copy.csv", data)},
        HTTP_ACCEPT="application/json",
    )
    assert again.status_code == 200 and again.json()["created"] is False


def test_upload_without_javascript_redirects_to_the_job(
    client_demo: Client, run: m.TestRun, blobs: Any
) -> None:
    response = client_demo.post(
        "/upload/", {"test_run": run.label, "file": SimpleUploadedFile("x.csv", bdf_csv(1))}
    )
    assert response.status_code == 400  # a label is not an id: the form asks again
    response = client_demo.post(
        "/upload/", {"test_run": str(run.pk), "file": SimpleUploadedFile("x.csv", bdf_csv(1))}
    )
    job = m.AnalysisJob.objects.get(kind="cycling")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"


def test_upload_refuses_a_wrong_checksum_and_other_projects_runs(
    client: Client, client_demo: Client, outsider: Any, run: m.TestRun, blobs: Any
) -> None:
    response = client_demo.post(
        "/upload/",
        {"test_run": str(run.pk), "file": SimpleUploadedFile("x.csv", b"abc"), "sha256": "0" * 64},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400 and "x.csv" in response.json()["error"]
    client.force_login(outsider)
    response = client.post(
        "/upload/",
        {"test_run": str(run.pk), "file": SimpleUploadedFile("x.csv", b"abc")},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert not m.DataFile.objects.exists()


def test_upload_page_preselects_the_run(client_demo: Client, run: m.TestRun) -> None:
    html = client_demo.get(f"/upload/?run={run.pk}").content.decode()
    assert f'<option value="{run.pk}" selected>' in html
    assert 'id="dropzone"' in html


def test_global_search_finds_labels_lots_and_names(
    client_demo: Client, outsider: Any, blobs: Any
) -> None:
    html = client_demo.get("/search/?q=MgAgSn HC1").content.decode()
    assert "MgAgSn-E-HC1" in html and "MgAgSn-E-HC2" not in html
    lot = m.MaterialLot.objects.filter(project__label="anodeless-multiseed").first()
    html = client_demo.get(f"/search/?q={lot.lot_number}").content.decode()
    assert f"/lots/{lot.pk}/" in html
    assert "Secret-Si" not in client_demo.get("/search/?q=Secret").content.decode()
    assert "search-total" not in client_demo.get("/search/").content.decode()


def test_home_shows_running_jobs_and_alerts(
    client_demo: Client, run: m.TestRun, blobs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from labdb.services.ingest import data_file_register

    monkeypatch.setattr("labdb.services.job_requests._enqueue", lambda job_id: None)
    registered = data_file_register(
        test_run=run, chunks=[bdf_csv(1)], original_name="queued.csv", user=None, source="web"
    )
    html = client_demo.get("/").content.decode()
    assert "Running jobs" in html and f"/jobs/{registered.job.pk}/" in html
    assert 'data-finished="0"' in html


def test_plotly_is_served_from_the_app_with_long_caching(client: Client) -> None:
    import gzip

    from labdb.web.plots import PLOTLY_VERSION, plotly_url

    assert plotly_url() == f"/vendor/plotly-{PLOTLY_VERSION}.min.js"
    response = client.get(plotly_url(), HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Content-Encoding"] == "gzip"
    assert (
        f"plotly.js (basic - minified) v{PLOTLY_VERSION}".encode()
        in gzip.decompress(response.content)[:200]
    )
