"""dQ/dV on arrival and on the cell page: a cycling file gets a dqdv job after its cycling
job (once, naming its parameters), and the cell page plots the stored dQ/dV and dV/dQ of the
chosen cycle with that cycle's peaks, and the peaks of every cycle, for half and full cells."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from prov.constants import PROV_ATTR_ENTITY, PROV_ROLE
from prov.model import ProvDocument

from analysis import pipelines
from analysis.simulate.voltammetry import Phase, incremental_capacity_table
from analysis.simulate.writers.bdf import write_bdf
from labdb import models as m
from labdb.exports.prov import provenance_document, record_id, serialize
from labdb.provenance import sha256_of
from labdb.services.follow_on import _same_curves
from labdb.services.ingest import data_file_register
from labdb.services.jobs import job_request
from labdb.services.parsing import read_data_file
from labdb.storage import read_blob
from tests.labdb.web.conftest import make_run
from tests.labdb.web.test_cell_page import plot

HALF = [Phase(0.45, 0.4, 1.0), Phase(0.25, 1.0, 0.8), Phase(0.10, 0.8, 0.6)]
FULL = [Phase(3.55, 0.6, 1.2), Phase(3.75, 1.0, 1.0), Phase(4.00, 0.7, 1.0)]
IR_V = 1e-3 * 5.0  # 1 mA through the simulator's 5 ohm


def _file(tmp: Path, cell_type: str, phases: list[Phase], **kw: Any) -> bytes:
    table = incremental_capacity_table(phases, cell_type=cell_type, cycles=3, **kw)
    return write_bdf(tmp / f"{cell_type}.csv", table).read_bytes()


@pytest.fixture
def half_dqdv(
    demo: m.Project, demo_user: Any, ingest: Any, tmp_path: Path
) -> tuple[m.AnalysisJob, m.TestRun, bytes]:
    """MgAgSn-E-HC1: three cycles of an electrode with three insertion plateaus (0.45, 0.25
    and 0.10 V), noise of 2 mV from cycle to cycle."""
    run = make_run(demo, demo_user, "MgAgSn-E-HC1-PS", "MgAgSn-E-HC1", "PS-1mA-1mAh")
    data = _file(tmp_path, "half", HALF)
    return ingest(run, data, "half.csv"), run, data


def _dqdv_job(run: m.TestRun) -> m.AnalysisJob:
    (data_file,) = run.files.all()
    (job,) = data_file.jobs.filter(kind="dqdv")
    return job


def test_a_cycling_file_gets_one_dqdv_job_with_the_cycling_cell_type(
    half_dqdv: tuple[m.AnalysisJob, m.TestRun, bytes],
    demo_user: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    cycling, run, data = half_dqdv
    job = _dqdv_job(run)
    assert job.status == "succeeded", job.error
    assert job.parameters["cell_type"] == cycling.parameters["cell_type"] == "half"
    assert job.parameters["bin_V"] == 0.005 and job.parameters["smooth_V"] == 0.01
    assert job.input_sha256[0] == cycling.input_sha256[0]  # the same file
    result = job.result
    assert result.kind == "dqdv" and result.summary["half_cycles"] == 6
    assert result.summary["method"]["smooth_V"] == 0.01  # smoothing stored with the result
    assert {t.name for t in result.tables.all()} == {"dqdv", "dvdq", "dqdv_peaks", "dqdv_memo"}
    follows = m.HistoryEntry.objects.get(action="analysis.follows", record_id=job.pk)
    assert follows.changes["after_job"] == str(cycling.pk)
    run.refresh_from_db()
    assert run.status == "running"  # 3 of the protocol's cycles; dQ/dV does not finish it
    # sending the same file again, or the cycling job's success recorded twice: no new job
    with django_capture_on_commit_callbacks(execute=True):
        again = data_file_register(
            test_run=run, chunks=[data], original_name="half.csv", user=demo_user, source="web"
        )
    assert not again.created
    from labdb.services.follow_on import follow_on_jobs_request

    stored = {"series": {"profiles": {"rows": 10}}}
    from labdb.services.jobs import job_request

    assert follow_on_jobs_request(cycling, stored, job_request=job_request) == job
    assert m.AnalysisJob.objects.filter(kind="dqdv").count() == 1


def test_no_dqdv_job_for_a_record_without_voltage_profiles(
    half_dqdv: tuple[m.AnalysisJob, m.TestRun, bytes],
) -> None:
    from labdb.services.follow_on import follow_on_parameters

    cycling, _, _ = half_dqdv
    assert follow_on_parameters(cycling, {"series": {"profiles": {"rows": 0}}}) is None
    assert follow_on_parameters(cycling, {"series": {"profiles": {"rows": 5}}}) == {
        "cell_type": "half"
    }


def test_cell_page_has_dqdv_cards_with_a_cycle_selector(
    client_demo: Client, half_dqdv: tuple[m.AnalysisJob, m.TestRun, bytes]
) -> None:
    _, run, _ = half_dqdv
    cell = run.cell
    html = client_demo.get(f"/cells/{cell.pk}/").content.decode()
    assert f"/cells/{cell.pk}/plots/dqdv.json?run={run.pk}&amp;cycle=1" in html
    assert f"/cells/{cell.pk}/plots/dvdq.json?run={run.pk}&amp;cycle=1" in html
    assert f"/cells/{cell.pk}/plots/dqdv-peaks.json?run={run.pk}" in html
    assert '<select name="cycle">' in html
    for c in (1, 2, 3):
        assert f'<option value="{c}"' in html
    html = client_demo.get(f"/cells/{cell.pk}/?cycle=2").content.decode()
    assert '<option value="2" selected>' in html


def test_dqdv_plot_of_the_chosen_cycle_has_its_peaks(
    client_demo: Client, half_dqdv: tuple[m.AnalysisJob, m.TestRun, bytes]
) -> None:
    _, run, _ = half_dqdv
    job = _dqdv_job(run)
    fig = plot(client_demo, "MgAgSn-E-HC1", "dqdv", "?cycle=2")
    names = [t["name"] for t in fig["data"]]
    assert names == ["cycle 2 plating", "cycle 2 stripping", "cycle 2 peaks"]
    assert fig["layout"]["meta"] == {"cycle": 2}
    peaks = fig["data"][-1]
    stored = job.result.summary
    assert stored["peaks"] == 18  # 3 plateaus x 6 half-cycles
    # each plateau seen once lithiating (shifted down by I R) and once delithiating (up)
    expected = sorted([p.potential_V - IR_V for p in HALF] + [p.potential_V + IR_V for p in HALF])
    assert sorted(peaks["x"]) == pytest.approx(expected, abs=0.006)
    assert all(y > 5 for y in peaks["y"])
    # the plotted curve is the stored series of that cycle: its area is the half-cycle capacity
    curve = fig["data"][0]
    xs, ys = curve["x"], curve["y"]
    area = sum((xs[i + 1] - xs[i]) * (ys[i] + ys[i + 1]) / 2 for i in range(len(xs) - 1))
    capacity = sum(p.capacity_mAh for p in HALF)
    assert area == pytest.approx(capacity, rel=0.02)
    # an unknown cycle falls back to the first; the CSV holds the same series
    assert plot(client_demo, "MgAgSn-E-HC1", "dqdv", "?cycle=99")["layout"]["meta"] == {"cycle": 1}
    csv_text = client_demo.get("/cells/MgAgSn-E-HC1/plots/dqdv.csv?cycle=3").content.decode()
    assert "cycle 3 peaks" in csv_text and "cycle 2" not in csv_text
    svg = client_demo.get("/cells/MgAgSn-E-HC1/figures/dqdv.svg?cycle=2")
    assert svg.status_code == 200 and b"<svg" in svg.content


def test_dvdq_and_peak_positions_per_cycle(
    client_demo: Client, half_dqdv: tuple[m.AnalysisJob, m.TestRun, bytes]
) -> None:
    fig = plot(client_demo, "MgAgSn-E-HC1", "dvdq", "?cycle=3")
    assert [t["name"] for t in fig["data"]] == ["cycle 3 plating", "cycle 3 stripping"]
    plating = fig["data"][0]
    assert max(plating["x"]) == pytest.approx(sum(p.capacity_mAh for p in HALF), rel=0.01)
    # the integral of dV/dQ over the half-cycle is its voltage change: from 0.15 V above the
    # highest plateau to 0.15 V below the lowest (lithiation: the voltage falls)
    xs, ys = plating["x"], plating["y"]
    change = sum((xs[i + 1] - xs[i]) * (ys[i] + ys[i + 1]) / 2 for i in range(len(xs) - 1))
    assert change == pytest.approx((0.10 - 0.15) - (0.45 + 0.15), abs=0.03)
    fig = plot(client_demo, "MgAgSn-E-HC1", "dqdv-peaks")
    by_kind = {t["name"]: t for t in fig["data"]}
    assert set(by_kind) == {"plating peaks", "stripping peaks"}
    assert sorted(set(by_kind["plating peaks"]["x"])) == [1, 2, 3]
    assert len(by_kind["stripping peaks"]["y"]) == 9


def test_full_cell_dqdv_on_its_page(
    demo: m.Project, demo_user: Any, ingest: Any, tmp_path: Path, client_demo: Client
) -> None:
    run = make_run(demo, demo_user, "MgAgSn-E-FC1-CYC", "MgAgSn-E-FC1", "CYC-0.5C")
    ingest(run, _file(tmp_path, "full", FULL), "full.csv")
    job = _dqdv_job(run)
    assert job.status == "succeeded" and job.parameters["cell_type"] == "full"
    fig = plot(client_demo, "MgAgSn-E-FC1", "dqdv", "?cycle=1")
    assert [t["name"] for t in fig["data"]] == [
        "cycle 1 charge",
        "cycle 1 discharge",
        "cycle 1 peaks",
    ]
    expected = sorted([p.potential_V + IR_V for p in FULL] + [p.potential_V - IR_V for p in FULL])
    assert sorted(fig["data"][-1]["x"]) == pytest.approx(expected, abs=0.006)


def test_a_constant_voltage_record_has_dqdv_too(client_demo: Client, cycling: Any) -> None:
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    fig = plot(client_demo, cell.label, "dqdv", f"?run={cycling.test_run_id}&cycle=1")
    # the constant-voltage record of the fixture still has a dQ/dV: one spike per half-cycle
    assert fig["data"], fig


def test_outsiders_get_no_dqdv(
    outsider: Any, half_dqdv: tuple[m.AnalysisJob, m.TestRun, bytes]
) -> None:
    client = Client()
    client.force_login(outsider)
    assert client.get("/cells/MgAgSn-E-HC1/plots/dqdv.json").status_code == 404


# --- the dQ/dV job reuses the cycling result's stored curves ------------------------------


def _recomputed(job: m.AnalysisJob) -> dict[str, Any]:
    table = read_data_file(job.data_file, reader=job.reader).table
    return pipelines.run("dqdv", table, job.parameters).to_json()


def test_the_dqdv_job_reuses_the_cycling_curves_and_equals_a_recomputation(
    half_dqdv: tuple[m.AnalysisJob, m.TestRun, bytes],
) -> None:
    cycling, run, _ = half_dqdv
    (job,) = m.AnalysisJob.objects.filter(data_file__test_run=run, kind="dqdv")
    assert job.status == "succeeded", job.error
    assert cycling.parameters.get("area_cm2")  # the cell's area: not a reason to recompute
    used = dict(cycling.result.tables.values_list("name", "sha256"))
    assert job.input_sha256 == [
        job.data_file.sha256,
        cycling.parsed_table.sha256,
        used["profiles"],
        used["half_cycles"],
    ]
    assert job.parsed_table_id == cycling.parsed_table_id
    entry = m.HistoryEntry.objects.get(action="analysis.succeeded", record_id=job.pk)
    assert entry.changes["cycling_job"] == str(cycling.pk)
    # exact: the stored JSON (series digests included) is that of a whole recomputation
    assert sha256_of(_recomputed(job)) == job.output_sha256
    assert json.loads(read_blob(job.output_sha256))["summary"]["peaks"] == 18


def test_without_a_matching_cycling_result_the_dqdv_job_analyses_the_file(
    half_dqdv: tuple[m.AnalysisJob, m.TestRun, bytes],
    django_capture_on_commit_callbacks: Any,
) -> None:
    cycling, _, _ = half_dqdv
    # the same file as a full cell: no cycling result of that convention to reuse
    with django_capture_on_commit_callbacks(execute=True):
        job, created = job_request(
            data_file=cycling.data_file, kind="dqdv", parameters={"cell_type": "full"}, user=None
        )
    assert created
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.input_sha256 == [job.data_file.sha256, job.parsed_table.sha256]
    entry = m.HistoryEntry.objects.get(action="analysis.succeeded", record_id=job.pk)
    assert "cycling_job" not in entry.changes
    assert sha256_of(_recomputed(job)) == job.output_sha256
    # and its provenance names no cycling result: it read the file's table
    assert not _cycling_edges(provenance_document(job.result), job, cycling.result)


def _cycling_edges(
    doc: ProvDocument, job: m.AnalysisJob, cycling: m.AnalysisResult
) -> set[tuple[str, str, str]]:
    """The Usage and Derivation statements of the PROV document (read back from its PROV-JSON)
    that tie the dQ/dV run ``job`` or its result to the ``cycling`` result."""
    again = ProvDocument.deserialize(content=serialize(doc, "prov-json"), format="json")
    out = set()
    for r in again.get_records():
        if not r.is_relation():
            continue
        args = [str(v) for _, v in r.formal_attributes if v is not None]
        kind = r.get_type().localpart
        if kind in ("Usage", "Derivation") and args[1] == record_id(cycling):
            out.add((kind, args[0], args[2] if kind == "Derivation" else ""))
    assert all(a in (record_id(job), record_id(job.result)) for _, a, _ in out)
    return out


def test_the_provenance_of_a_reusing_dqdv_result_names_the_cycling_result(
    half_dqdv: tuple[m.AnalysisJob, m.TestRun, bytes],
) -> None:
    cycling, run, _ = half_dqdv
    (job,) = m.AnalysisJob.objects.filter(data_file__test_run=run, kind="dqdv")
    doc = provenance_document(job.result)
    ids = {str(r.identifier) for r in doc.get_records() if r.is_element()}
    assert record_id(cycling.result) in ids  # the cycling result is part of its upstream
    assert _cycling_edges(doc, job, cycling.result) == {
        ("Usage", record_id(job), ""),  # the run used the stored curves
        ("Derivation", record_id(job.result), record_id(job)),  # the result came from them
    }
    usage = next(
        r
        for r in doc.get_records()
        if r.is_relation()
        and r.get_type().localpart == "Usage"
        and str(dict(r.formal_attributes)[PROV_ATTR_ENTITY]) == record_id(cycling.result)
    )
    assert [str(v) for v in usage.get_attribute(PROV_ROLE)] == ["cycling curves"]
    # the cycling file's whole export has the same edges, once
    whole = provenance_document(job.data_file)
    assert _cycling_edges(whole, job, cycling.result) == _cycling_edges(doc, job, cycling.result)


def test_only_cycling_parameters_that_give_the_same_curves_are_reused() -> None:
    assert _same_curves({"cell_type": "half", "area_cm2": 0.785}, "half")
    assert _same_curves({"cell_type": "half", "one_c_current_density_mA_cm2": 1.0,
                         "area_cm2": 1.0}, "half")  # fmt: skip
    assert not _same_curves({"cell_type": "full"}, "half")
    # another rest threshold segments the record otherwise: recomputed
    assert not _same_curves({"cell_type": "half", "rest_current_threshold_A": 1e-4}, "half")
