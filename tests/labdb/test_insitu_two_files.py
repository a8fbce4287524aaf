"""An in-situ series written as a Gamry sequence writes it: the spectra in their own file, the
cycling in another file of the same test run. Whichever arrives first, the stored spectra end
up tagged with their plating/stripping state and charge from the cycling file, and sending the
files again asks for nothing new."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from analysis.simulate.eis import insitu_series
from analysis.simulate.study import HALF_CELL_MODELS
from analysis.simulate.writers import write_arbin_csv
from analysis.simulate.writers.gamry import write_gamry_eis_dta
from labdb import models as m
from labdb.services.ingest import data_file_register

START = dt.datetime(2024, 3, 14, 9, 0, 0)


@pytest.fixture(scope="module")
def sequence(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the Gamry file of the run's 8th spectrum: stripping, 2 x 10 min; the cycling file)."""
    folder = tmp_path_factory.mktemp("gamry")
    dc, spectra = insitu_series("PVDF", HALF_CELL_MODELS["MgAgSn-P"][2], seed=5)
    eis = write_gamry_eis_dta(folder / "EISPOT_08.DTA", spectra[7][1], START)
    cycling = write_arbin_csv(folder / "PS_Channel_2.csv", dc, START)
    return eis, cycling


def _send(run: m.TestRun, path: Path, user: Any, on_commit: Any) -> None:
    with on_commit(execute=True):
        data_file_register(
            test_run=run,
            chunks=[path.read_bytes()],
            original_name=path.name,
            user=user,
            source="test",
        )


@pytest.mark.django_db
@pytest.mark.parametrize("first", ["eis", "cycling"])
def test_spectra_of_a_gamry_sequence_are_tagged_from_the_runs_cycling_file(
    demo: m.Project,
    demo_user: Any,
    sequence: tuple[Path, Path],
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
    first: str,
) -> None:
    settings.BLOB_DIR = tmp_path / "blobs"
    run = m.TestRun.objects.create(
        project=demo,
        label=f"MgAgSn-P-HC2-T-gamry-{first}",
        cell=m.Cell.objects.get(label="MgAgSn-P-HC2"),
        protocol=m.TestProtocol.objects.get(label="EIS-INSITU-10min"),
        operator=demo_user,
    )
    eis_path, cycling_path = sequence
    order = [eis_path, cycling_path] if first == "eis" else [cycling_path, eis_path]
    for path in order:
        _send(run, path, demo_user, django_capture_on_commit_callbacks)
    eis_file = run.files.get(original_name=eis_path.name)
    cycling_file = run.files.get(original_name=cycling_path.name)
    cycling_job = cycling_file.jobs.get(kind="cycling")
    assert cycling_job.status == "succeeded", cycling_job.error
    # the protocol's EIS analysis asked of the cycling file says why it is not one
    refused = cycling_file.jobs.get(kind="eis")
    assert refused.status == "failed" and "holds cycling data" in refused.error
    linked = eis_file.jobs.get(kind="eis", parameters__dc_table=cycling_job.parsed_table.sha256)
    assert linked.status == "succeeded", linked.error
    assert linked.input_sha256[-1] == cycling_job.parsed_table.sha256
    fit = m.EISSpectrumFit.objects.get(result__job=linked)
    assert (fit.state, fit.half_cycle) == ("stripping", 2)
    assert fit.half_cycle_charge_ah * 1000 == pytest.approx(0.785 / 6 * 2, rel=1e-6)  # type: ignore[operator]
    assert linked.result.summary["in_situ_link"]["linked"] is True

    before = m.AnalysisJob.objects.count()
    for path in order:
        _send(run, path, demo_user, django_capture_on_commit_callbacks)
    assert m.AnalysisJob.objects.count() == before


@pytest.mark.django_db
def test_an_autolab_export_is_linked_once_its_start_time_is_given(
    demo: m.Project,
    demo_user: Any,
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """NOVA's ASCII export records no start: its spectra stay untagged until the EIS analysis
    is asked for with ``eis_start``; then the link is asked for and tags them."""
    from labdb.services.jobs import job_request

    settings.BLOB_DIR = tmp_path / "blobs"
    dc, spectra = insitu_series("PVDF", HALF_CELL_MODELS["MgAgSn-P"][2], seed=5)
    sp = spectra[7][1]
    nova = tmp_path / "EIS_08_nova.txt"
    lines = ["Index;Frequency (Hz);Z' (Ω);-Z'' (Ω);Time (s)"]
    for k, (f, z, t) in enumerate(
        zip(sp.frequency_hz, sp.impedance_ohm, sp.time_s, strict=True), start=1
    ):
        lines.append(f"{k};{f:.6g};{z.real:.8g};{-z.imag:.8g};{t - sp.time_s[0]:.4f}")
    nova.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cycling_path = write_arbin_csv(tmp_path / "PS_Channel_2.csv", dc, START)
    run = m.TestRun.objects.create(
        project=demo,
        label="MgAgSn-P-HC2-T-nova",
        cell=m.Cell.objects.get(label="MgAgSn-P-HC2"),
        protocol=m.TestProtocol.objects.get(label="EIS-INSITU-10min"),
        operator=demo_user,
    )
    for path in (cycling_path, nova):
        _send(run, path, demo_user, django_capture_on_commit_callbacks)
    eis_file = run.files.get(original_name=nova.name)
    first = eis_file.jobs.get(kind="eis")
    assert first.status == "succeeded", first.error
    # no start, so no link was asked for
    assert [j.parameters.get("dc_table") for j in eis_file.jobs.filter(kind="eis")] == [None]

    given = (START + dt.timedelta(seconds=float(sp.time_s[0]))).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        job_request(
            data_file=eis_file,
            kind="eis",
            parameters={**first.parameters, "eis_start": given},
            user=demo_user,
        )
    cycling_job = run.files.get(original_name=cycling_path.name).jobs.get(kind="cycling")
    linked = eis_file.jobs.get(kind="eis", parameters__dc_table=cycling_job.parsed_table.sha256)
    assert linked.status == "succeeded", linked.error
    assert linked.parameters["eis_start"] == given
    fit = m.EISSpectrumFit.objects.get(result__job=linked)
    assert (fit.state, fit.half_cycle) == ("stripping", 2)
    assert fit.half_cycle_charge_ah * 1000 == pytest.approx(0.785 / 6 * 2, rel=1e-6)  # type: ignore[operator]
    assert "eis_start" in linked.result.summary["in_situ_link"]["start"]
