"""One pipeline per analysis kind: the job, the command line and the pipeline function give the
same JSON on the same file, and the pages plot what the job stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.test import Client

from analysis import pipelines
from analysis.__main__ import main
from analysis.readers import read
from analysis.serial import differences
from analysis.simulate import write_demo_study
from labdb import models as m
from labdb.services.ingest import data_file_register
from labdb.storage import blob_path


@pytest.fixture(scope="module")
def study_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    files = write_demo_study(tmp_path_factory.mktemp("raw"))
    return {f"{f.cell_label}/{f.protocol_label}": f.path for f in files}


def _register(run: m.TestRun, path: Path, user: Any, capture: Any) -> m.AnalysisJob:
    with capture(execute=True):
        registered = data_file_register(
            test_run=run,
            chunks=[path.read_bytes()],
            original_name=path.name,
            user=user,
            source="test",
        )
    assert registered.job is not None, registered.analysis_refused
    job = m.AnalysisJob.objects.get(pk=registered.job.pk)
    assert job.status == "succeeded", job.error
    return job


def _run(demo: m.Project, user: Any, cell: str, protocol: str, label: str) -> m.TestRun:
    return m.TestRun.objects.create(
        project=demo,
        label=label,
        cell=m.Cell.objects.get(label=cell),
        protocol=m.TestProtocol.objects.get(label=protocol),
        operator=user,
    )


@pytest.mark.django_db
def test_job_cli_and_pipeline_give_identical_json_for_an_insitu_series(
    demo: m.Project,
    demo_user: Any,
    study_files: dict[str, Path],
    settings: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    django_capture_on_commit_callbacks: Any,
    client_demo: Client,
) -> None:
    settings.BLOB_DIR = tmp_path / "blobs"
    path = study_files["MgAgSn-P-HC2/EIS-INSITU-10min"]
    run = _run(demo, demo_user, "MgAgSn-P-HC2", "EIS-INSITU-10min", "T-insitu")
    job = _register(run, path, demo_user, django_capture_on_commit_callbacks)
    stored = json.loads(blob_path(job.output_sha256).read_bytes())
    assert stored["kind"] == "eis" and stored["summary"]["spectra"] > 5  # a real series

    direct = pipelines.run("eis", read(path).table, job.parameters).to_json()
    argv = ["eis", str(path), "--json"]
    for name, value in job.parameters.items():
        argv += ["--param", f"{name}={json.dumps(value)}"]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    # the same result (floats to 1e-9: analysis.serial.differences), whichever way it was run
    assert differences(stored, direct) == [] and differences(stored, printed) == []

    # the cell page's DRT and fitted curves are the stored ones, not recomputed
    fits = list(job.result.spectra.order_by("spectrum"))
    r = client_demo.get(f"/cells/MgAgSn-P-HC2/plots/drt.json?eis={run.pk}")
    assert r.status_code == 200
    drt_traces = [t for t in r.json()["data"] if not t["name"].endswith("peaks")]
    shown = {t["name"]: t for t in drt_traces}
    for fit in fits:
        name = f"sequence {fit.sequence}"
        if name in shown:
            assert shown[name]["y"] == pytest.approx(fit.drt["gamma_ohm"])
            spectrum = stored["summary"]["details"][fit.spectrum]
            assert fit.drt["gamma_ohm"] == spectrum["drt"]["gamma_ohm"]
    assert shown  # at least one spectrum drawn


@pytest.mark.django_db
def test_voltage_profiles_on_the_page_are_the_stored_curves(
    demo: m.Project,
    demo_user: Any,
    study_files: dict[str, Path],
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
    client_demo: Client,
) -> None:
    settings.BLOB_DIR = tmp_path / "blobs"
    key = next(k for k in study_files if k.startswith("Mg-E-HC1/"))
    cell, protocol = key.split("/")
    run = _run(demo, demo_user, cell, protocol, "T-profiles")
    job = _register(run, study_files[key], demo_user, django_capture_on_commit_callbacks)
    tables = {t.name: t for t in job.result.tables.all()}
    assert {"cycles", "half_cycles", "profiles", "rate_capability"} <= set(tables)

    result = pipelines.run(
        "cycling", read(study_files[key]).table, job.parameters
    )  # the same numbers as the job
    profiles = result.series["profiles"]
    half = result.tables["half_cycles"]
    # each curve ends at its half-cycle's integrated capacity (mAh)
    ends = profiles.groupby("half_cycle")["capacity_mAh"].last()
    np.testing.assert_allclose(
        ends.to_numpy(), np.abs(half["integrated_capacity_mAh"].to_numpy()), rtol=1e-9
    )

    r = client_demo.get(f"/cells/{cell}/plots/profiles.csv?cycles=2")
    assert r.status_code == 200
    r = client_demo.get(f"/cells/{cell}/plots/profiles.json?cycles=2")
    shown = r.json()["data"]
    assert [t["name"] for t in shown] == ["cycle 2"]
    xs = [x for x in shown[0]["x"] if x is not None]
    area = job.parameters["area_cm2"]
    cycle2 = profiles[profiles["half_cycle"].isin(half[half["cycle"] == 2]["half_cycle"])]
    # the plotted end points are stored ones (decimation keeps each curve's first and last)
    assert max(xs) == pytest.approx(cycle2["capacity_mAh"].max() / area)
