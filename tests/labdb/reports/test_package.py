"""The publishable data package: one command and one button give a ZIP that is an RO-Crate
listing every file with its checksum, with BDF tables that round-trip, the figures, the
report and DataCite metadata valid against the DataCite 4.5 JSON schema."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from io import StringIO
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from rocrate.rocrate import ROCrate

from labdb import models as m
from labdb.reports.datacite import REQUIRED
from labdb.storage import blob_path
from tests.labdb.exports.jobs import download, export_of
from tests.labdb.exports.test_crate_and_bdf_exports import _extract, _files
from tests.labdb.reports.conftest import STUDY_CELLS
from tests.labdb.reports.inspect import pdf_fonts, read_pdf, read_svg

pytestmark = pytest.mark.django_db


def _datacite_errors(doc: dict[str, Any]) -> list[str]:
    """Errors of ``doc`` against the DataCite 4.5 JSON schema the ``datacite`` package ships."""
    schema_file = resources.files("datacite") / "schemas/datacite-v4.5.json"
    schema = json.loads(schema_file.read_text())
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_export_package_command_writes_a_valid_crate_with_bdf_figures_report_and_datacite(
    study: m.SavedComparison, tmp_path: Path, client_demo: Client
) -> None:
    out = tmp_path / "seeds.zip"
    stdout = StringIO()
    call_command(
        "export_package",
        "--saved",
        study.name,
        "--related-doi",
        "10.1039/d4ee00000a",
        "-o",
        str(out),
        stdout=stdout,
    )
    assert "4 cells" in stdout.getvalue()
    # the command goes through the export job: asked again, the same job and stored file
    job = m.ExportJob.objects.get()
    assert job.status == "succeeded" and job.parameters["related_doi"] == "10.1039/d4ee00000a"
    again = StringIO()
    out2 = tmp_path / "again.zip"
    call_command(
        "export_package", "--saved", study.name, "--related-doi", "10.1039/d4ee00000a",
        "-o", str(out2), stdout=again,
    )  # fmt: skip
    assert "the same package as asked for before" in again.getvalue()
    assert m.ExportJob.objects.count() == 1 and out2.read_bytes() == out.read_bytes()
    crate = ROCrate(_extract(out, tmp_path / "x"))
    folder = Path(crate.source)

    # the RO-Crate: loads, and every file it lists is there with its sha256 and size
    files = {f.id: f for f in _files(crate)}
    for f in files.values():
        data = (folder / f.id).read_bytes()
        assert f["sha256"] == hashlib.sha256(data).hexdigest(), f.id
        assert int(f["contentSize"]) == len(data) and f["encodingFormat"], f.id
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert on_disk - {"ro-crate-metadata.json"} == set(files)  # nothing unlisted
    assert {"report.html", "report.pdf", "datacite.json"} <= set(files)
    # one analysis per run: its cycling job and the dQ/dV job that follows it
    actions = [e["name"] for e in crate.get_entities() if e.type == "CreateAction"]
    kinds = sorted(a.split(" ")[0] for a in actions)
    assert kinds == ["cycling"] * len(STUDY_CELLS) + ["dqdv"] * len(STUDY_CELLS)

    # BDF tables: every run's, round-tripping the stored parsed table
    for job in m.AnalysisJob.objects.filter(data_file__test_run__cell__label__in=STUDY_CELLS):
        run = job.data_file.test_run
        source = pd.read_parquet(blob_path(job.parsed_table.sha256))  # type: ignore[union-attr]
        for suffix in ("bdf.csv", "bdf.parquet"):
            path = folder / "bdf" / f"{run.label}.{suffix}"
            frame = pd.read_csv(path) if suffix.endswith("csv") else pd.read_parquet(path)
            pd.testing.assert_frame_equal(frame, source, check_dtype=False, rtol=1e-12)
        sidecar = json.loads((folder / "bdf" / f"{run.label}.metadata.jsonld").read_text())
        assert sidecar["about"]["name"] == run.cell.label  # type: ignore[union-attr]

    # figures: the saved comparison's set, SVG and PDF at both column widths
    figures = sorted(f for f in files if f.startswith("figures/"))
    assert "figures/cumulative-ce-85mm.svg" in figures and "figures/ce-175mm.pdf" in figures
    assert len(figures) % 4 == 0
    ce = read_svg((folder / "figures/ce-85mm.svg").read_bytes())
    assert ce.series == set(range(len(STUDY_CELLS)))

    # the report: every cell, its figures from the package, a PDF with its fonts embedded
    html = (folder / "report.html").read_text()
    for label in STUDY_CELLS:
        assert f'data-cell="{label}"' in html
    assert 'src="figures/ce-85mm.svg"' in html
    pdf = read_pdf((folder / "report.pdf").read_bytes())
    text = "".join(p.extract_text() for p in pdf.pages)
    assert all(label in text for label in STUDY_CELLS) and "Methods" in text
    assert all(pdf_fonts(pdf).embedded)

    # DataCite: valid against the 4.5 schema, required properties filled from the records
    doc = json.loads((folder / "datacite.json").read_text())
    assert _datacite_errors(doc) == []
    assert all(doc[k] for k in REQUIRED)
    assert [c["name"] for c in doc["creators"]] == ["demo"]  # the recorded operator
    assert doc["types"]["resourceTypeGeneral"] == "Dataset"
    assert {"Mg", "Elastane", "Li6PS5Cl"} <= {s["subject"] for s in doc["subjects"]}
    assert {"relatedIdentifier": "10.1039/d4ee00000a", "relatedIdentifierType": "DOI",
            "relationType": "IsSupplementTo"} in doc["relatedIdentifiers"]  # fmt: skip
    assert doc["rightsList"][0]["rightsIdentifier"] == "cc-by-4.0"
    assert _datacite_errors({**doc, "types": {}}) != []  # the schema does check

    with pytest.raises(CommandError, match="no saved comparison 'nope'"):
        call_command("export_package", "--saved", "nope", "-o", str(tmp_path / "n.zip"))


def test_package_button_on_a_saved_comparison_of_cells_without_data_yet(
    planned_study: m.SavedComparison,
    client_demo: Client,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    page = client_demo.get("/compare/", {"saved": str(planned_study.pk)}).content.decode()
    assert f'href="/compare/package.zip?saved={planned_study.pk}"' in page
    with django_capture_on_commit_callbacks(execute=True):  # no broker: built in-process
        response = client_demo.get("/compare/package.zip", {"saved": str(planned_study.pk)})
    job = export_of(client_demo, response)
    assert job.kind == "package" and job.content_type == "application/zip"
    out = tmp_path / "planned.zip"
    out.write_bytes(download(client_demo, job))
    crate = ROCrate(_extract(out, tmp_path / "x"))
    folder = Path(crate.source)
    files = {f.id for f in _files(crate)}
    assert {"report.html", "report.pdf", "datacite.json"} <= files
    assert not any(f.startswith(("bdf/", "figures/")) for f in files)  # nothing measured yet
    description = crate.root_dataset["description"]
    assert all(f"{label}-PS" in description for label in STUDY_CELLS)  # runs without a table
    html = (folder / "report.html").read_text()
    assert all(f'data-cell="{label}"' in html for label in STUDY_CELLS)
    assert _datacite_errors(json.loads((folder / "datacite.json").read_text())) == []
    other = client_demo.get("/compare/package.zip", {"saved": "0" * 32})
    assert other.status_code == 404
