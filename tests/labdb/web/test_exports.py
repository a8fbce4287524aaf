"""Provenance downloads from the pages: RO-Crate and PROV of one cell and of the comparison's
selection of cells, with the raw file's bytes and sha256 inside."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

import pytest
from django.test import Client

from labdb import models as m
from tests.labdb.exports.jobs import download, export_of
from tests.labdb.test_ingest_and_jobs import bdf_csv
from tests.labdb.web.conftest import make_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_cells(demo: m.Project, demo_user: Any, ingest: Any) -> dict[str, bytes]:
    files = {}
    for label, ce in (("MgAgSn-E-HC1", 0.98), ("MgAgSn-E-HC2", 0.97)):
        run = make_run(demo, demo_user, f"{label}-PS", label, "PS-1mA-1mAh")
        files[label] = bdf_csv(cycles=3, ce=ce)
        ingest(run, files[label], f"{label}.csv")
    return files


def crate_of(response: Any) -> tuple[dict[str, Any], dict[str, bytes]]:
    data = b"".join(response.streaming_content)
    zf = zipfile.ZipFile(io.BytesIO(data))
    meta_name = next(n for n in zf.namelist() if n.endswith("ro-crate-metadata.json"))
    return json.loads(zf.read(meta_name)), {n: zf.read(n) for n in zf.namelist()}


def test_cell_page_downloads_its_crate_and_prov(
    client_demo: Client, two_cells: dict[str, bytes]
) -> None:
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    page = client_demo.get(f"/cells/{cell.pk}/").content.decode()
    assert f'href="/cells/{cell.pk}/export/crate.eln"' in page
    response = client_demo.get(f"/cells/{cell.pk}/export/crate.eln")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert 'filename="MgAgSn-E-HC1.eln"' in response["Content-Disposition"]
    meta, files = crate_of(response)
    sha = hashlib.sha256(two_cells["MgAgSn-E-HC1"]).hexdigest()
    assert sha in json.dumps(meta)
    assert two_cells["MgAgSn-E-HC1"] in files.values()
    assert hashlib.sha256(two_cells["MgAgSn-E-HC2"]).hexdigest() not in json.dumps(meta)
    prov = client_demo.get(f"/cells/{cell.pk}/export/prov.json")
    assert prov.status_code == 200 and "attachment" in prov["Content-Disposition"]
    doc = json.loads(prov.content)
    assert "MgAgSn-E-HC1" in json.dumps(doc["entity"])
    provn = client_demo.get(f"/cells/{cell.pk}/export/prov.provn").content.decode()
    assert provn.startswith("document") and "MgAgSn-E-HC1" in provn


def test_selection_export_holds_exactly_the_chosen_cells(
    client_demo: Client, two_cells: dict[str, bytes], django_capture_on_commit_callbacks: Any
) -> None:
    url = "/compare/export/crate.eln?cells=MgAgSn-E-HC1&cells=MgAgSn-E-HC2"
    with django_capture_on_commit_callbacks(execute=True):  # an export job, run in-process
        job = export_of(client_demo, client_demo.get(url))
    assert job.kind == "crate" and job.file_name.endswith(".eln")
    zf = zipfile.ZipFile(io.BytesIO(download(client_demo, job)))
    meta_name = next(n for n in zf.namelist() if n.endswith("ro-crate-metadata.json"))
    meta, files = json.loads(zf.read(meta_name)), {n: zf.read(n) for n in zf.namelist()}
    text = json.dumps(meta)
    for data in two_cells.values():
        assert hashlib.sha256(data).hexdigest() in text and data in files.values()
    assert "MgAgSn-P-HC1" not in text  # a cell not chosen
    prov = client_demo.get("/compare/export/prov.json?cells=MgAgSn-E-HC2").json()
    entities = json.dumps(prov["entity"])
    assert "MgAgSn-E-HC2" in entities and 'MgAgSn-E-HC1"' not in entities


def test_outsider_gets_no_export(two_cells: Any, outsider: Any) -> None:
    client = Client()
    client.force_login(outsider)
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    assert client.get(f"/cells/{cell.pk}/export/crate.eln").status_code == 404
    assert client.get("/compare/export/prov.json?cells=MgAgSn-E-HC1").status_code == 404
