"""Heavy exports are background jobs on the ``exports`` queue: the button and the API ask for
one and get its page (progress, then a download link), the same inputs give the same job and
file, new data gives a new one, a failure says why, and the file is an immutable
content-addressed blob with its provenance. Here tasks run in-process (no broker, the embedded
default); tests/integration/test_export_worker.py runs them on a real worker."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from labdb import models as m
from labdb.provenance import code_commit
from labdb.reports.package import build_package
from labdb.reports.selection import from_query
from labdb.services.exports import export_request, exports_sweep
from labdb.services.jobs import job_rerun
from labdb.storage import blob_path
from tests.labdb.exports.jobs import download, export_of

pytestmark = pytest.mark.django_db

CELL = "MgAgSn-E-HC1"


def test_the_package_button_builds_in_the_background_with_progress_and_provenance(
    ingested: m.AnalysisJob, client_demo: Client, django_capture_on_commit_callbacks: Any
) -> None:
    url = f"/compare/package.zip?cells={CELL}"
    with django_capture_on_commit_callbacks(execute=True):  # no broker: built in-process
        job = export_of(client_demo, client_demo.get(url))
    page = client_demo.get(f"/exports/{job.pk}/").content.decode()
    # the page follows the job with a script from the site (the CSP allows no inline script)
    assert f'data-export-id="{job.pk}"' in page and "/static/labdb/exports.js" in page
    assert "<script>" not in page
    assert f'href="/exports/{job.pk}/download"' in page  # built: the download link is there

    data = download(client_demo, job)
    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 1 and job.error == ""
    assert (job.progress, job.stage) == (1.0, "done")
    # the result: a content-addressed blob, the bytes served are the bytes stored
    assert hashlib.sha256(data).hexdigest() == job.result_sha256
    assert job.result_size_bytes == len(data)
    assert blob_path(job.result_sha256).read_bytes() == data
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    top = job.file_name.removesuffix(".zip")
    assert {f"{top}/report.pdf", f"{top}/datacite.json", f"{top}/ro-crate-metadata.json"} <= set(
        names
    )
    # provenance: the pinned inputs, parameters and code
    assert job.inputs["cells"][0]["label"] == CELL
    # the run's cycling result and the dQ/dV result following it (a package has every kind)
    dqdv = m.AnalysisJob.objects.get(data_file=ingested.data_file, kind="dqdv")
    assert sorted(job.inputs["results"], key=lambda r: r["id"]) == sorted(
        [
            {"id": str(ingested.pk), "output_sha256": ingested.output_sha256},
            {"id": str(dqdv.pk), "output_sha256": dqdv.output_sha256},
        ],
        key=lambda r: r["id"],
    )
    assert job.parameters == {"publisher": "", "license": "CC-BY-4.0", "related_doi": ""}
    prov = job.provenance
    assert prov["code_commit"] == code_commit() == job.code_commit
    assert prov["inputs_sha256"] == job.inputs_sha256 and prov["export_version"] == "1"
    assert {"matplotlib", "weasyprint", "rocrate", "numpy"} <= set(prov["libraries"])
    assert prov["build_s"] > 0

    # the same selection, data and code: the same job and file, not built again
    with django_capture_on_commit_callbacks(execute=True):
        again = export_of(client_demo, client_demo.get(url))
    assert again.pk == job.pk and m.ExportJob.objects.count() == 1
    assert client_demo.get("/exports/").content.decode().count(job.file_name) >= 1
    # a finished export is immutable
    job.error = "changed"
    with pytest.raises(m.ImmutableRecordError):
        job.save()
    # ... also through a queryset update (as for analysis jobs), and never deleted
    with pytest.raises(m.ImmutableRecordError):
        m.ExportJob.objects.filter(pk=job.pk).update(error="changed")
    with pytest.raises(m.ImmutableRecordError):
        m.ExportJob.objects.filter(pk=job.pk).delete()
    job.refresh_from_db()
    assert job.error == "" and job.status == "succeeded"


def test_the_api_asks_once_per_inputs_and_new_data_gives_a_new_export(
    ingested: m.AnalysisJob,
    client_demo: Client,
    demo_user: Any,
    outsider: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    body = {"export": "crate", "selection": {"cells": [CELL]}}
    with django_capture_on_commit_callbacks(execute=True):
        first = client_demo.post("/api/v1/exports/", body, content_type="application/json")
    assert first.status_code == 202 and first.json()["status"] == "queued"
    second = client_demo.post("/api/v1/exports/", body, content_type="application/json")
    assert second.status_code == 200
    one = second.json()
    assert one["id"] == first.json()["id"] and one["status"] == "succeeded"
    got = client_demo.get(one["download"])
    data = b"".join(got.streaming_content)
    assert hashlib.sha256(data).hexdigest() == one["sha256"] and one["file_name"].endswith(".eln")
    assert client_demo.get(one["url"]).json()["provenance"]["inputs_sha256"] == one["inputs_sha256"]

    # a new analysis of the run (other parameters): new inputs, so a new export
    with django_capture_on_commit_callbacks(execute=True):
        rerun, created = job_rerun(
            job=ingested, parameters={"average_ce_first_cycle": 3}, user=demo_user
        )
    assert created and m.AnalysisJob.objects.get(pk=rerun.pk).status == "succeeded"
    with django_capture_on_commit_callbacks(execute=True):
        third = client_demo.post("/api/v1/exports/", body, content_type="application/json")
    assert third.status_code == 202 and third.json()["id"] != one["id"]
    # the re-run is the run's newest cycling result; its dQ/dV (same file, reader and
    # parameters as before) is the same result as before
    dqdv = m.AnalysisJob.objects.get(data_file=ingested.data_file, kind="dqdv")
    assert {r["id"] for r in third.json()["inputs"]["results"]} == {str(rerun.pk), str(dqdv.pk)}

    # other package parameters are another export; a bad one is named
    selection = from_query(demo_user, {"cells": [CELL]})
    a, _ = export_request(kind="package", selection=selection, user=demo_user)
    b, _ = export_request(
        kind="package", selection=selection, user=demo_user, parameters={"license": "CC0-1.0"}
    )
    assert a.pk != b.pk and a.inputs_sha256 != b.inputs_sha256
    bad = client_demo.post(
        "/api/v1/exports/",
        {**body, "export": "package", "parameters": {"license": "GPL"}},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "license" in bad.json()
    empty = client_demo.post(
        "/api/v1/exports/",
        {"export": "crate", "selection": {"cells": ["no-such-cell"]}},
        content_type="application/json",
    )
    assert empty.status_code == 400 and "no cells" in json.dumps(empty.json())

    # someone who cannot see the cells sees neither the export nor its file
    other = Client()
    other.force_login(outsider)
    assert other.get(one["url"]).status_code == 404
    assert other.get(one["download"]).status_code == 404
    assert other.get(f"/exports/{one['id']}/").status_code == 404


def test_a_failed_export_says_why_and_does_not_block_a_new_attempt(
    ingested: m.AnalysisJob, client_demo: Client, django_capture_on_commit_callbacks: Any
) -> None:
    raw = blob_path(ingested.data_file.sha256)
    good = raw.read_bytes()
    raw.write_bytes(b"X" + good[1:])  # a flipped byte in the stored raw file
    url = f"/compare/export/crate.eln?cells={CELL}"
    with django_capture_on_commit_callbacks(execute=True):
        job = export_of(client_demo, client_demo.get(url))
    job.refresh_from_db()
    assert job.status == "failed" and job.result_sha256 == ""
    assert ingested.data_file.sha256 in job.error and "damaged" in job.error
    status = client_demo.get(f"/exports/{job.pk}/status.json").json()
    assert status["finished"] and status["error"] == job.error and status["download"] == ""
    assert client_demo.get(f"/exports/{job.pk}/download").status_code == 404
    assert "Failed:" in client_demo.get(f"/exports/{job.pk}/").content.decode()

    raw.write_bytes(good)  # repaired: asking again builds it
    with django_capture_on_commit_callbacks(execute=True):
        retry = export_of(client_demo, client_demo.get(url))
    assert retry.pk != job.pk
    retry.refresh_from_db()
    assert retry.status == "succeeded", retry.error


def test_the_sweep_hands_back_an_export_whose_worker_died(
    ingested: m.AnalysisJob, demo_user: Any
) -> None:
    selection = from_query(demo_user, {"cells": [CELL]})
    job, _ = export_request(kind="crate", selection=selection, user=demo_user)  # not sent
    past = timezone.now() - dt.timedelta(seconds=1)
    m.ExportJob.objects.filter(pk=job.pk).update(
        status="running", claimed_by="dead-worker", lease_expires_at=past, attempts=1
    )
    assert exports_sweep() == [str(job.pk)]  # sent again; run in-process here
    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 2 and job.claimed_by != "dead-worker"
    assert exports_sweep() == []  # nothing left to do


def test_package_progress_goes_forward_through_named_stages(
    ingested: m.AnalysisJob, demo_user: Any, tmp_path: Any
) -> None:
    seen: list[tuple[float, str]] = []
    selection = from_query(demo_user, {"cells": [CELL]})
    build_package(selection, tmp_path / "p.zip", progress=lambda f, s: seen.append((f, s)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert len({s for _, s in seen}) >= 6 and "drawing the figures (SVG, PDF)" in dict(
        (s, f) for f, s in seen
    )
