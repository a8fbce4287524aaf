"""In-situ spectra in their own files (a Gamry sequence: one .DTA per spectrum, the cycling in
another file) tagged from the cycling file by time, checked against the same simulated run
written as one mixed EC-Lab file (whose tagging is checked on the real biol.mpr)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import pipelines
from analysis.__main__ import main
from analysis.eis.insitu_link import cycling_start_unix, eis_start_unix, link_spectra
from analysis.readers import read
from analysis.simulate.eis import insitu_series
from analysis.simulate.study import HALF_CELL_MODELS, _mb_settings
from analysis.simulate.writers import InstrumentInfo, write_arbin_csv, write_insitu_mpt
from analysis.simulate.writers.gamry import write_gamry_eis_dta

START = dt.datetime(2024, 3, 4, 9, 0, 0)  # 3/4/2024: day and month read both ways
TAGS = ["half_cycle", "dc_state", "half_cycle_charge_ah", "cycle"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], Path]:
    """(cycling file, one Gamry file per spectrum, the same run as one mixed EC-Lab file)."""
    folder = tmp_path_factory.mktemp("insitu")
    dc, spectra = insitu_series("PVDF", HALF_CELL_MODELS["Mg-E"][2], seed=3)
    cycling = write_arbin_csv(folder / "run_Channel_2.csv", dc, START)
    gamry = [
        write_gamry_eis_dta(folder / f"EIS_{k:02d}.DTA", sp, START)
        for k, (_, sp) in enumerate(spectra)
    ]
    info = InstrumentInfo("VSP-300", "0911", 2, START, "mixed", "Cu")
    mixed = write_insitu_mpt(folder / "mixed.mpt", dc, spectra, info, settings=_mb_settings())
    return cycling, gamry, mixed


def test_gamry_spectra_are_tagged_as_the_mixed_file_tags_them(
    run: tuple[Path, list[Path], Path],
) -> None:
    cycling_path, gamry, mixed = run
    cycling = read(cycling_path)
    c0 = cycling_start_unix(cycling.table, cycling.metadata)
    assert c0 is not None
    assert c0 == pytest.approx(START.replace(tzinfo=dt.UTC).timestamp(), abs=1e-3)
    reference = read(mixed).part({"eis"})
    assert reference is not None
    expected = reference.table.groupby("spectrum", sort=True)[TAGS].first().reset_index(drop=True)
    rows = []
    for path in gamry:
        eis = read(path)
        # the simulated DATE 3/4/2024 is ambiguous; the run decides the reading
        assert "start_unix_time_candidates" in eis.metadata
        start, how = eis_start_unix(eis.metadata, eis.table, cycling.table, c0)
        assert start is not None, how
        link = link_spectra(eis.table, start, cycling.table, c0)
        assert link.untagged == () and link.warnings == ()
        rows.append(link.table[TAGS].iloc[0])
    got = pd.DataFrame(rows).reset_index(drop=True)
    assert got["dc_state"].tolist() == ["reduction"] * 6 + ["oxidation"] * 5
    assert got["half_cycle"].tolist() == expected["half_cycle"].tolist() == [1] * 6 + [2] * 5
    # the cycling file's own cycle number (the simulated run writes cycle 0 in both files)
    assert got["cycle"].tolist() == expected["cycle"].tolist() == [0] * 11
    np.testing.assert_allclose(
        got["half_cycle_charge_ah"].to_numpy(float),
        expected["half_cycle_charge_ah"].to_numpy(float),
        rtol=1e-6,
    )
    # 10 min at 0.785 mA per step: 0.1308 mAh more before each spectrum of a half-cycle
    np.testing.assert_allclose(
        got["half_cycle_charge_ah"].to_numpy(float)[:6] * 1000, 0.785 / 6 * np.arange(1, 7)
    )


def test_the_linked_table_gives_the_pipeline_its_plating_and_stripping_states(
    run: tuple[Path, list[Path], Path],
) -> None:
    cycling_path, gamry, _ = run
    cycling = read(cycling_path)
    c0 = cycling_start_unix(cycling.table, cycling.metadata)
    assert c0 is not None
    eis = read(gamry[7])
    start, _ = eis_start_unix(eis.metadata, eis.table, cycling.table, c0)
    assert start is not None
    table = link_spectra(eis.table, start, cycling.table, c0).table
    result = pipelines.run("eis", table, {"cell_type": "half", "kk": False})
    row = result.tables["resistances"].iloc[0]
    assert row["state"] == "stripping" and row["half_cycle"] == 2
    assert row["half_cycle_charge_ah"] * 1000 == pytest.approx(0.785 / 6 * 2, rel=1e-6)
    assert result.summary["in_situ"] is True


def test_spectra_outside_the_cycling_run_are_not_tagged(
    run: tuple[Path, list[Path], Path],
) -> None:
    cycling_path, gamry, _ = run
    cycling = read(cycling_path)
    c0 = cycling_start_unix(cycling.table, cycling.metadata)
    assert c0 is not None
    eis = read(gamry[0])
    day_later = c0 + 86400.0
    link = link_spectra(eis.table, day_later, cycling.table, c0)
    assert link.tagged == () and link.untagged == (0,)
    assert "outside the cycling run" in link.warnings[0]
    assert link.table["dc_state"].isna().all()


def test_gamry_start_time_of_a_real_file_counts_the_initial_delay(eis_dir: Path) -> None:
    """impedance.py's Gamry file: DATE 4/23/2018 (day > 12: one reading), TIME 16:43:15, an
    OCV delay whose last T is 99.975 s; the ZCURVE's Time starts at 1 s after it."""
    eis = read(eis_dir / "ECSHackWeek+impedance.py/data/exampleDataGamry.DTA")
    moment = dt.datetime(2018, 4, 23, 16, 43, 15, tzinfo=dt.UTC).timestamp()
    assert eis.metadata["start_unix_time_second"] == pytest.approx(moment + 99.975)
    assert "start_unix_time_candidates" not in eis.metadata


def _write_nova(path: Path, frequency: np.ndarray, z: np.ndarray, t: np.ndarray) -> Path:
    """An Autolab NOVA ASCII export of one spectrum (semicolons, -Z'' positive up, Time (s)
    from the measurement's start; no date or time anywhere, as NOVA writes it)."""
    lines = ["Index;Frequency (Hz);Z' (Ω);-Z'' (Ω);Z (Ω);-Phase (°);Time (s)"]
    for k, (f, zk, tk) in enumerate(zip(frequency, z, t, strict=True), start=1):
        phase = -np.degrees(np.angle(zk))
        lines.append(f"{k};{f:.6g};{zk.real:.8g};{-zk.imag:.8g};{abs(zk):.8g};{phase:.6g};{tk:.4f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_autolab_spectra_are_linked_with_a_given_start_time(
    tmp_path: Path, run: tuple[Path, list[Path], Path]
) -> None:
    """NOVA's ASCII export has no start time: not linked by itself; with the start the user
    gives (``eis_start``, the lab computer's clock) the spectra get the mixed file's tags."""
    cycling_path, _, mixed = run
    cycling = read(cycling_path)
    c0 = cycling_start_unix(cycling.table, cycling.metadata)
    assert c0 is not None
    reference = read(mixed).part({"eis"})
    assert reference is not None
    expected = reference.table.groupby("spectrum", sort=True)[TAGS].first()
    _, spectra = insitu_series("PVDF", HALF_CELL_MODELS["Mg-E"][2], seed=3)
    for k in (2, 8):  # one plating and one stripping spectrum
        sp = spectra[k][1]
        path = _write_nova(
            tmp_path / f"nova_{k}.txt", sp.frequency_hz, sp.impedance_ohm, sp.time_s - sp.time_s[0]
        )
        eis = read(path)
        assert eis.format == "autolab_nova_eis"
        start, how = eis_start_unix(eis.metadata, eis.table, cycling.table, c0)
        assert start is None and "no start" in how
        given = (START + dt.timedelta(seconds=float(sp.time_s[0]))).isoformat()
        start, how = eis_start_unix(eis.metadata, eis.table, cycling.table, c0, given)
        assert start is not None and "eis_start" in how
        link = link_spectra(eis.table, start, cycling.table, c0)
        assert link.untagged == ()
        got = link.table[TAGS].iloc[0]
        assert got["dc_state"] == expected.loc[k, "dc_state"]
        assert got["half_cycle"] == expected.loc[k, "half_cycle"]
        assert got["half_cycle_charge_ah"] == pytest.approx(
            expected.loc[k, "half_cycle_charge_ah"], rel=1e-6
        )


def test_a_start_time_with_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match=r"eis_start: .*without a time zone"):
        pipelines.get("eis").validate({"eis_start": "2024-03-04T09:00:00+01:00"})
    with pytest.raises(ValueError, match="eis_start: expected a date and time"):
        pipelines.get("eis").validate({"eis_start": "4 March"})
    assert pipelines.get("eis").validate({"eis_start": "2024-03-04T09:00:00"}).eis_start


def test_kk_and_drt_command_lines_keep_each_spectrum_s_labels(
    run: tuple[Path, list[Path], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """``kk`` and ``drt`` on the mixed file: the JSON and the text name each spectrum's cycle,
    sequence, state and charge, and the DRT of the series shares one lambda."""
    mixed = str(run[2])
    assert main(["drt", mixed, "--json"]) == 0
    spectra = json.loads(capsys.readouterr().out)["spectra"]
    assert [s["sequence"] for s in spectra] == list(range(1, 12))
    assert [s["state"] for s in spectra] == ["reduction"] * 6 + ["oxidation"] * 5
    assert {s["regularization_choice"] for s in spectra} == {"series"}
    assert len({s["regularization"] for s in spectra}) == 1
    for command in ("drt", "kk"):
        assert main([command, mixed]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].startswith("spectrum 0 (cycle 0, sequence 1) [reduction, "), lines[0]
        assert lines[10].startswith("spectrum 10 (cycle 0, sequence 11) [oxidation, "), lines[10]
