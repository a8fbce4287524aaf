"""The RO-Crate (.eln) and Battery Data Format exports: files with the right checksums, the
analysis as a Process Run Crate action, BattINFO types, and a table that round-trips."""

from __future__ import annotations

import hashlib
import json
import zipfile
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from rocrate.rocrate import ROCrate

import analysis
from labdb import models as m
from labdb.exports import vocab
from labdb.exports.bdf import export_bdf
from labdb.exports.crate import uri, write_crate
from labdb.storage import blob_path


def _extract(eln: Path, into: Path) -> Path:
    with zipfile.ZipFile(eln) as zf:
        tops = {name.split("/", 1)[0] for name in zf.namelist()}
        assert len(tops) == 1, f"an .eln holds one top folder, found {tops}"
        zf.extractall(into)
    folder = into / tops.pop()
    assert (folder / "ro-crate-metadata.json").is_file()
    return folder


def _files(crate: ROCrate) -> list[Any]:
    return [
        e
        for e in crate.get_entities()
        if "File" in (e.type if isinstance(e.type, list) else [e.type])
    ]


def _id(value: Any) -> str:
    if isinstance(value, str):
        return value
    return str(value.id if hasattr(value, "id") else value["@id"])


def _ids(value: Any) -> list[str]:
    return [_id(v) for v in (value if isinstance(value, list) else [value])]


def test_cell_crate_loads_with_rocrate_and_every_file_matches_its_sha256(
    ingested: m.AnalysisJob, tmp_path: Path
) -> None:
    job = ingested
    raw, table = job.data_file, job.parsed_table
    cell = raw.test_run.cell
    eln = write_crate(cell, tmp_path / "MgAgSn-E-HC1.eln")
    crate = ROCrate(_extract(eln, tmp_path / "x"))
    folder = Path(crate.source)

    files = _files(crate)
    assert len(files) == 4  # raw file, parsed table, cycling and dQ/dV result JSON
    for f in files:
        data = (folder / f.id).read_bytes()
        assert f["sha256"] == hashlib.sha256(data).hexdigest(), f.id
        assert int(f["contentSize"]) == len(data)
        assert f["encodingFormat"]
    by_sha = {f["sha256"]: f for f in files}
    assert by_sha[raw.sha256]["name"] == raw.original_name
    assert (folder / by_sha[raw.sha256].id).read_bytes() == blob_path(raw.sha256).read_bytes()
    assert table.sha256 in by_sha

    actions = [e for e in crate.get_entities() if e.type == "CreateAction"]
    assert len(actions) == 2  # the cycling analysis and the dQ/dV that followed it
    (action,) = [a for a in actions if a.id == f"#analysis-{job.pk}"]
    software = crate.dereference(_id(action["instrument"]))
    assert software.type == "SoftwareApplication" and software["version"] == analysis.__version__
    objects = _ids(action["object"])
    assert by_sha[raw.sha256].id in objects and by_sha[table.sha256].id in objects
    params = {
        crate.dereference(i)["name"]: crate.dereference(i)["value"]
        for i in objects
        if crate.dereference(i).type == "PropertyValue"
    }
    assert params["parameters_sha256"] == job.parameters_sha256
    assert params["area_cm2"] == 0.785
    (result_id,) = _ids(action["result"])
    summary = json.loads((folder / result_id).read_text())
    assert summary["summary"] == job.result.summary and summary["job"] == str(job.pk)
    status = action["actionStatus"]
    assert (status if isinstance(status, str) else _id(status)).endswith("CompletedActionStatus")

    assert crate.dereference(uri(cell))["additionalType"] == vocab.BATTERY_HALF_CELL
    mg = m.MaterialLot.objects.get(label="Mg-800nm-L1")
    lot = crate.dereference(uri(mg))
    d50 = [crate.dereference(_id(p)) for p in lot["additionalProperty"]]
    assert [(p["value"], p["unitText"]) for p in d50 if p.get("propertyID") == vocab.D50] == [
        (800.0, "nm")
    ]
    binder = crate.dereference(uri(m.MaterialLot.objects.get(label="Elastane-L1")))
    assert binder["additionalType"] == vocab.BINDER
    se = crate.dereference(uri(m.MaterialLot.objects.get(label="LPSCl-L1")))
    assert se["additionalType"] == vocab.SOLID_ELECTROLYTE
    result_file = crate.dereference(result_id)
    measured = [crate.dereference(_id(p)) for p in result_file["variableMeasured"]]
    assert vocab.COULOMBIC_EFFICIENCY in {p.get("propertyID") for p in measured}
    assert crate.root_dataset["conformsTo"]["@id"].startswith("https://w3id.org/ro/wfrun/process")


def test_export_crate_command_writes_the_whole_study(
    ingested: m.AnalysisJob, tmp_path: Path
) -> None:
    out = tmp_path / "study.eln"
    call_command("export_crate", "anodeless-multiseed", "-o", str(out), stdout=StringIO())
    crate = ROCrate(_extract(out, tmp_path / "x"))
    cells = {
        e["name"]
        for e in crate.get_entities()
        if e.get("additionalType") in (vocab.BATTERY_CELL, vocab.BATTERY_HALF_CELL)
    }
    assert cells == set(m.Cell.objects.values_list("label", flat=True)) and len(cells) == 11
    assert {f["sha256"] for f in _files(crate)} >= {
        ingested.data_file.sha256,
        ingested.parsed_table.sha256,
    }
    with pytest.raises(CommandError, match="no record"):
        call_command("export_crate", "nope", "-o", str(tmp_path / "n.eln"))


def test_bdf_export_round_trips_with_a_sidecar_naming_cell_run_and_lots(
    ingested: m.AnalysisJob, tmp_path: Path
) -> None:
    table = ingested.parsed_table
    run = ingested.data_file.test_run
    result = export_bdf(run, tmp_path / "bdf")
    source = pd.read_parquet(blob_path(table.sha256))
    for frame in (pd.read_csv(result.csv_path), pd.read_parquet(result.parquet_path)):
        assert list(frame.columns) == table.columns == result.columns
        assert len(frame) == table.rows == result.rows
        pd.testing.assert_frame_equal(frame, source, check_dtype=False, rtol=1e-12)
    doc = json.loads(result.sidecar_path.read_text())
    assert doc["about"]["name"] == "MgAgSn-E-HC1"
    assert doc["isPartOf"]["name"] == run.label
    lots = {lot["name"]: lot for lot in doc["mentions"]}
    d50 = [p["value"] for p in lots["Mg-800nm-L1"]["additionalProperty"] if p["name"] == "D50"]
    assert d50 == [800.0]
    assert {"Ag-30nm-L1", "Sn-150nm-L1", "LPSCl-L1", "Li-foil-L1"} <= set(lots)
    assert doc["isBasedOn"][0]["sha256"] == ingested.data_file.sha256
    shas = {Path(d["contentUrl"]).name: d["sha256"] for d in doc["distribution"]}
    assert shas[result.csv_path.name] == hashlib.sha256(result.csv_path.read_bytes()).hexdigest()

    out = StringIO()
    call_command("export_bdf", run.label, "-o", str(tmp_path / "cli"), stdout=out)
    assert f"{table.rows} rows" in out.getvalue()
    assert (tmp_path / "cli" / f"{run.label}.bdf.parquet").is_file()
    empty = m.TestRun.objects.create(
        project=run.project, label="no-data", cell=run.cell, protocol=run.protocol
    )
    with pytest.raises(CommandError, match="no-data has no parsed table"):
        call_command("export_bdf", empty.label, "-o", str(tmp_path / "none"))
