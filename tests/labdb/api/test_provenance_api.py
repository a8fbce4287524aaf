"""Provenance through the API: PROV documents, lineage, the impact of a lot, the cell's
RO-Crate, EIS fits; and raw data cannot be changed through it."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from prov.model import ProvDocument

from analysis.simulate.eis import post_cycling_spectrum
from analysis.simulate.writers import InstrumentInfo, write_peis_mpt
from labdb import models as m
from labdb.services.catalog import record_save
from labdb.services.ingest import data_file_register
from tests.labdb.api.conftest import token_client


@pytest.fixture
def reader(demo_user: Any) -> Any:
    return token_client(demo_user, "read")


@pytest.mark.django_db
def test_prov_json_round_trips_and_names_the_seed_lot(reader: Any, analysed: m.DataFile) -> None:
    response = reader.get("/api/v1/cells/MgAgSn-E-HC1/provenance/?format=prov-json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    doc = ProvDocument.deserialize(content=response.content.decode(), format="json")
    text = doc.get_provn()
    assert "Mg-800nm-L1" in text and analysed.sha256 in text
    provn = reader.get("/api/v1/cells/MgAgSn-E-HC1/provenance/?format=prov-n")
    assert provn.status_code == 200
    assert provn.content.decode().startswith("document")


@pytest.mark.django_db
def test_lineage_from_a_result_reaches_the_lots(reader: Any, analysed: m.DataFile) -> None:
    result = m.AnalysisResult.objects.get(job__data_file=analysed, kind="cycling")
    body = reader.get(f"/api/v1/results/{result.pk}/").json()
    assert body  # the result is readable with the token
    run = analysed.test_run
    data = reader.get(f"/api/v1/test-runs/{run.label}/lineage/?direction=up").json()
    labels = {n["label"] for n in data["nodes"]}
    assert {"MgAgSn-E-HC1", "MgAgSn-Elastane v1", "Ag-30nm-L1 (D50 30 nm)"} <= labels
    assert all(n["depth"] >= 1 for n in data["nodes"])


@pytest.mark.django_db
def test_impact_of_a_lot_lists_cells_runs_files_and_results(
    reader: Any, analysed: m.DataFile
) -> None:
    data = reader.get("/api/v1/lots/Sn-150nm-L1/impact/").json()
    by_type: dict[str, set[str]] = {}
    for n in data["nodes"]:
        by_type.setdefault(n["type"], set()).add(n["label"])
    assert {"Sn-E-HC1", "MgAgSn-E-HC1", "MgAgSn-P-HC2"} <= by_type["cell"]
    assert "Mg-E-HC1" not in by_type["cell"]
    assert by_type["testrun"] == {"MgAgSn-E-HC1-PS"}
    assert any(label.startswith("cell.csv") for label in by_type["datafile"])
    assert len(by_type["analysisresult"]) == 2  # the cycling result and its dQ/dV


@pytest.mark.django_db
def test_cell_crate_lists_every_file_with_its_checksum(
    reader: Any, analysed: m.DataFile, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    response = reader.get("/api/v1/cells/MgAgSn-E-HC1/crate/")
    assert response.status_code == 200
    # built in a temporary folder under the data directory (swept if the process is killed)
    assert len(list((tmp_path / "tmp").glob("crate-*/*.eln"))) == 1
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    response.close()  # the finished download removes it
    assert not list((tmp_path / "tmp").glob("crate-*"))
    meta_name = next(n for n in archive.namelist() if n.endswith("ro-crate-metadata.json"))
    graph = json.loads(archive.read(meta_name))["@graph"]
    files = [
        e for e in graph if "File" in (e["@type"] if isinstance(e["@type"], list) else [e["@type"]])
    ]
    assert any(e.get("sha256") == analysed.sha256 for e in files)


@pytest.mark.django_db
def test_other_projects_records_are_not_found(outsider: Any, analysed: m.DataFile) -> None:
    client = token_client(outsider, "read")
    for url in (
        "/api/v1/cells/MgAgSn-E-HC1/provenance/",
        "/api/v1/lots/Sn-150nm-L1/impact/",
        "/api/v1/cells/MgAgSn-E-HC1/crate/",
        f"/api/v1/test-runs/{analysed.test_run.label}/lineage/",
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_raw_files_cannot_be_changed_or_deleted_through_the_api(
    demo_user: Any, analysed: m.DataFile
) -> None:
    client = token_client(demo_user, "read-write")
    url = f"/api/v1/files/{analysed.pk}/"
    assert client.patch(url, {"original_name": "x"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    job = analysed.jobs.get(kind="cycling")
    assert client.delete(f"/api/v1/jobs/{job.pk}/").status_code == 405
    analysed.refresh_from_db()
    assert analysed.original_name == "cell.csv"


@pytest.mark.django_db
def test_eis_fits_of_a_run(
    demo: m.Project,
    demo_user: Any,
    reader: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    run = record_save(
        record=m.TestRun(
            project=demo,
            label="Ag-E-HC1-EIS-5cyc",
            cell=m.Cell.objects.get(label="Ag-E-HC1"),
            protocol=m.TestProtocol.objects.get(label="EIS-POST"),
            after_cycles=5,
        ),
        user=demo_user,
    )
    info = InstrumentInfo(
        device="VSP-300", serial="1", channel=1, started=dt.datetime(2024, 1, 1), file_stem="ag-eis"
    )
    path = write_peis_mpt(
        tmp_path / "ag-eis.mpt", [post_cycling_spectrum("Ag-Elastane", 5, seed=3)], info
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = data_file_register(
            test_run=run,
            chunks=[path.read_bytes()],
            original_name=path.name,
            user=None,
            source="cli",
        ).job
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    rows = reader.get(f"/api/v1/test-runs/{run.label}/eis/").json()
    assert len(rows) == 1
    assert rows[0]["rct_ohm"] == pytest.approx(48.0, rel=0.1)  # the simulated RCT
    assert rows[0]["rb_ohm"] == pytest.approx(29.0, rel=0.1)
    assert rows[0]["rct_ohm_cm2"] == pytest.approx(rows[0]["rct_ohm"] * 0.785, rel=1e-9)
    csv = reader.get(f"/api/v1/test-runs/{run.label}/eis/?format=csv")
    assert csv.status_code == 200 and csv.content.decode().startswith("spectrum,")
