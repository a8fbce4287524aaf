"""A mixed in-situ EIS file (the demo's EC-Lab Modulo Bat run: DC plating/stripping with a
PEIS every 10 min) gives two jobs, one per table, each naming the file and its table; the
spectra are stored with their plating/stripping state; the API filters them and exports their
DRT; the cell page and /compare/ draw the paper's Fig. 5 from the stored results."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from analysis.simulate import write_demo_study
from labdb import models as m
from labdb.services.ingest import data_file_register
from tests.labdb.api.conftest import session_client


@pytest.fixture(scope="module")
def insitu_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    files = write_demo_study(tmp_path_factory.mktemp("raw"))
    return {f.cell_label: f.path for f in files if f.protocol_label == "EIS-INSITU-10min"}


@pytest.fixture
def analysed(
    demo: m.Project,
    demo_user: Any,
    insitu_files: dict[str, Path],
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> dict[str, m.TestRun]:
    settings.BLOB_DIR = tmp_path / "blobs"
    runs = {}
    for cell, path in insitu_files.items():
        run = m.TestRun.objects.create(
            project=demo,
            label=f"{cell}-T-insitu",
            cell=m.Cell.objects.get(label=cell),
            protocol=m.TestProtocol.objects.get(label="EIS-INSITU-10min"),
            operator=demo_user,
        )
        with django_capture_on_commit_callbacks(execute=True):
            data_file_register(
                test_run=run,
                chunks=[path.read_bytes()],
                original_name=path.name,
                user=demo_user,
                source="test",
            )
        runs[cell] = run
    return runs


@pytest.mark.django_db
def test_mixed_insitu_files_from_registration_to_fig5(
    analysed: dict[str, m.TestRun],
    demo_user: Any,
    insitu_files: dict[str, Path],
    django_capture_on_commit_callbacks: Any,
    client_demo: Client,
) -> None:
    """One registration of the two in-situ files (each analysis takes seconds), then every
    promise checked on what was stored."""
    _two_jobs_each_naming_its_table(
        analysed, demo_user, insitu_files, django_capture_on_commit_callbacks
    )
    _spectra_stored_with_their_plating_stripping_state(analysed)
    _api_filters_spectra_and_exports_their_drt(analysed, demo_user)
    _fig5_on_the_cell_page_and_compare_from_stored_results(analysed, client_demo)


def _two_jobs_each_naming_its_table(
    analysed: dict[str, m.TestRun],
    demo_user: Any,
    insitu_files: dict[str, Path],
    django_capture_on_commit_callbacks: Any,
) -> None:
    run = analysed["MgAgSn-P-HC2"]
    (data_file,) = run.files.all()
    jobs = {j.kind: j for j in data_file.jobs.all()}
    # the cycling table's dQ/dV follows its cycling job (labdb.services.follow_on)
    assert set(jobs) == {"eis", "cycling", "dqdv"}
    assert all(j.status == "succeeded" for j in jobs.values()), [j.error for j in jobs.values()]
    for kind, job in jobs.items():
        table_kind = "cycling" if kind == "dqdv" else kind
        assert job.parsed_table.kind == table_kind and job.parsed_table.data_file == data_file
        # dQ/dV reads the curves the cycling result stored on this mixed file's cycling table
        used = jobs["cycling"].result.tables if kind == "dqdv" else None
        curves = (
            [used.get(name="profiles").sha256, used.get(name="half_cycles").sha256] if used else []
        )
        assert job.input_sha256 == [data_file.sha256, job.parsed_table.sha256, *curves]
    assert jobs["dqdv"].parsed_table == jobs["cycling"].parsed_table
    assert jobs["eis"].parsed_table.metadata["other_tables"] == ["cycling"]
    assert jobs["cycling"].parameters["cell_type"] == "half"  # from the cell, never guessed
    cycles = jobs["cycling"].result.cycle_rows().order_by("cycle")
    assert [round(c.plating_capacity_mAh, 3) for c in cycles] == [0.785]
    assert jobs["dqdv"].parameters["cell_type"] == "half"
    # the same file again: the same records, no fourth job
    path = insitu_files["MgAgSn-P-HC2"]
    with django_capture_on_commit_callbacks(execute=True):
        again = data_file_register(
            test_run=run,
            chunks=[path.read_bytes()],
            original_name=path.name,
            user=demo_user,
            source="test",
        )
    assert not again.created and data_file.jobs.count() == 3


def _spectra_stored_with_their_plating_stripping_state(analysed: dict[str, m.TestRun]) -> None:
    fits = list(
        m.EISSpectrumFit.objects.filter(result__test_run=analysed["MgAgSn-P-HC2"]).order_by(
            "spectrum"
        )
    )
    assert [f.state for f in fits] == ["plating"] * 6 + ["stripping"] * 5
    assert [f.half_cycle for f in fits] == [1] * 6 + [2] * 5
    charge = [f.half_cycle_charge_ah * 1000 for f in fits]  # type: ignore[operator]
    assert charge[:6] == pytest.approx([0.785 * k / 6 for k in range(1, 7)], rel=1e-3)
    # PVDF: the SEI arc grows over plating and stripping (paper, Fig. 5e); Elastane: one arc
    rsei = [f.rsei_ohm for f in fits]
    assert None not in rsei and rsei[-1] > 2 * rsei[0]  # type: ignore[operator]
    elastane = m.EISSpectrumFit.objects.filter(result__test_run=analysed["MgAgSn-E-HC2"])
    assert set(elastane.values_list("rsei_ohm", flat=True)) == {None}
    assert all(f.fit_success is not None and f.assignment_status for f in fits)


def _api_filters_spectra_and_exports_their_drt(
    analysed: dict[str, m.TestRun], demo_user: Any
) -> None:
    client = session_client(demo_user)
    base = "/api/v1/eis-spectra/"
    plating = client.get(base, {"test_run": "MgAgSn-P-HC2-T-insitu", "state": "plating"}).json()
    assert plating["count"] == 6
    assert {r["state"] for r in plating["results"]} == {"plating"}
    ok = client.get(base, {"cell": "MgAgSn-P-HC2", "fit_success": "true"}).json()
    stored_ok = m.EISSpectrumFit.objects.filter(
        result__test_run__cell__label="MgAgSn-P-HC2", fit_success=True
    ).count()
    assert ok["count"] == stored_ok
    with_l = client.get(base, {"cell": "MgAgSn-P-HC2", "has_inductance": "true"}).json()
    assert all(r["inductance_h"] is not None for r in with_l["results"])
    fit = m.EISSpectrumFit.objects.filter(result__test_run=analysed["MgAgSn-P-HC2"]).first()
    assert fit is not None
    rows = client.get(f"{base}{fit.pk}/drt/").json()
    assert [r["gamma_ohm"] for r in rows] == pytest.approx(fit.drt["gamma_ohm"])
    assert rows[0]["r_inf_ohm"] == pytest.approx(fit.drt["r_inf_ohm"])
    series = client.get(
        f"{base}drt/", {"result": str(fit.result.job_id), "format": "csv"}
    ).content.decode()
    table = list(csv.DictReader(io.StringIO(series)))
    assert {int(r["spectrum"]) for r in table} == set(range(11))
    # the series labels travel with the exported DRT
    labels = {(r["sequence"], r["half_cycle"], r["state"]) for r in table}
    assert ("1", "1", "plating") in labels and ("11", "2", "stripping") in labels
    assert {r["regularization_choice"] for r in table} == {"series"}


def _fig5_on_the_cell_page_and_compare_from_stored_results(
    analysed: dict[str, m.TestRun], client_demo: Client
) -> None:
    fits = list(
        m.EISSpectrumFit.objects.filter(result__test_run=analysed["MgAgSn-P-HC2"]).order_by(
            "spectrum"
        )
    )
    fig = client_demo.get("/cells/MgAgSn-P-HC2/plots/insitu-resistance.json").json()
    rsei = next(t for t in fig["data"] if t["name"].endswith("RSEI"))
    assert rsei["x"][0] == "plating 1" and rsei["x"][-1] == "stripping 5"
    assert rsei["y"] == pytest.approx([f.rsei_ohm_cm2 for f in fits])
    volt = client_demo.get("/cells/MgAgSn-P-HC2/plots/insitu-voltage.json").json()
    line = next(t for t in volt["data"] if t["name"].endswith("voltage"))
    marks = next(t for t in volt["data"] if t["name"].endswith("EIS"))
    assert len(line["x"]) > 100 and len(marks["x"]) == 11  # the DC rows of the cycling table
    assert marks["y"] == pytest.approx([f.voltage_volt for f in fits])
    run = analysed["MgAgSn-P-HC2"]
    kk = client_demo.get(f"/cells/MgAgSn-P-HC2/plots/kk-residuals.json?eis={run.pk}").json()
    band = next(t for t in kk["data"] if t["name"].endswith("limit"))
    first = next(f for f in fits if f"sequence {f.sequence} limit" == band["name"])
    n = len(first.kk["limits"])
    assert band["y"][:n] == pytest.approx([100 * v for v in first.kk["limits"]])
    compare = client_demo.get(
        "/compare/plots/insitu.json?kind=half&binder=&group=binder&cells=MgAgSn-P-HC2"
        "&cells=MgAgSn-E-HC2"
    ).json()
    names = {t["name"] for t in compare["data"]}
    assert any("MgAgSn-P-HC2 RSEI" in n for n in names)
    assert any("MgAgSn-E-HC2 RCT" in n for n in names)
    for plot in ("insitu-voltage", "insitu-nyquist"):
        body = client_demo.get(
            f"/compare/plots/{plot}.json?cells=MgAgSn-P-HC2&cells=MgAgSn-E-HC2&group=binder"
        ).json()
        assert len(body["data"]) >= 4, plot
