"""EIS readers against the arrays impedance.py's own tests assert (test_preprocessing.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.readers import ParseError, read
from analysis.readers._biologic_eis import biologic_eis_table

IMPEDANCE_PY = "ECSHackWeek+impedance.py/data"
EXACT = {"exampleDataGamry.DTA", "exampleDataZPlot.z", "exampleDataZPlot_noComments.z"}


def _expected(eis_dir: Path) -> dict[str, dict[str, object]]:
    data = json.loads((eis_dir / "_derived/impedance.py_readers_expected.json").read_text())
    files: dict[str, dict[str, object]] = data["files"]
    return files


@pytest.mark.parametrize(
    "name",
    [
        "exampleDataGamry.DTA",
        "exampleDataAutolab.txt",
        "exampleDataParstat.txt",
        "exampleDataZPlot.z",
        "exampleDataVersaStudio.par",
        "exampleDataPowersuite.txt",
        "exampleDataBioLogic.mpt",
        "exampleDataCHInstruments.txt",
        "exampleData.csv",
        "exampleDataZPlot_noComments.z",
    ],
)
def test_reader_matches_impedance_py(eis_dir: Path, name: str) -> None:
    expected = _expected(eis_dir)[name]
    result = read(eis_dir / IMPEDANCE_PY / name)
    table = result.table
    assert result.kind == "eis"
    assert list(table.columns[:4]) == ["spectrum", "frequency_hz", "z_real_ohm", "z_imag_ohm"]
    assert len(table) == expected["n"]
    assert (table["spectrum"] == 0).all()
    compare = np.array_equal if name in EXACT else np.allclose
    assert compare(table["frequency_hz"], expected["freq_Hz"])
    assert compare(table["z_real_ohm"], expected["Z_real_ohm"])
    assert compare(table["z_imag_ohm"], expected["Z_imag_ohm"])


def test_aborted_gamry_run_equals_the_full_one(eis_dir: Path) -> None:
    full = read(eis_dir / IMPEDANCE_PY / "exampleDataGamry.DTA")
    aborted = read(eis_dir / IMPEDANCE_PY / "exampleDataGamryABORT.DTA")
    cols = ["frequency_hz", "z_real_ohm", "z_imag_ohm"]
    pd.testing.assert_frame_equal(full.table[cols], aborted.table[cols])
    assert any("aborted" in w for w in aborted.warnings)


def test_gamry_keeps_time_potential_and_current(eis_dir: Path) -> None:
    table = read(eis_dir / IMPEDANCE_PY / "exampleDataGamry.DTA").table
    assert table["time_second"].iloc[-1] == 861
    assert table["potential_volt"].iloc[0] == pytest.approx(-0.3413299)
    assert table["current_ampere"].iloc[0] == pytest.approx(-5.89286e-6)


def test_biologic_without_frequency_is_refused_with_a_clear_error(eis_dir: Path) -> None:
    path = eis_dir / IMPEDANCE_PY / "exampleDataBioLogic_MissingFreq.mpt"
    lines = path.read_text(encoding="latin-1").splitlines()
    header = lines[60].rstrip("\t").split("\t")
    rows = [line.rstrip("\t").split("\t")[: len(header)] for line in lines[61:] if line.strip()]
    raw = pd.DataFrame(rows, columns=header).apply(pd.to_numeric)
    with pytest.raises(ParseError, match="without a frequency column"):
        biologic_eis_table(raw, file=path)
    with pytest.raises(ParseError):
        read(path)


def test_biologic_series_is_split_with_cycle_time_and_potential() -> None:
    f = np.geomspace(1e5, 1, 8)
    one = {"freq/Hz": f, "Re(Z)/Ohm": 10 + f * 0, "-Im(Z)/Ohm": 1 + f * 0}
    frames = []
    for k in range(3):
        part = pd.DataFrame(one)
        part["time/s"] = 600.0 * k + np.arange(8)
        part["<Ewe>/V"] = 0.01 * k
        part["<I>/mA"] = -1.0
        part["cycle number"] = 1.0
        part["z cycle"] = float(k + 1)
        frames.append(part)
    dc = pd.DataFrame({"freq/Hz": [0.0], "Re(Z)/Ohm": [0.0], "-Im(Z)/Ohm": [0.0]})
    raw = pd.concat([frames[0], dc, frames[1], frames[2]], ignore_index=True)
    parsed = biologic_eis_table(raw, file="insitu.mpt")
    table = parsed.table
    assert parsed.kind == "eis"
    assert table["spectrum"].tolist() == [0] * 8 + [1] * 8 + [2] * 8
    assert table.groupby("spectrum")["sequence"].first().tolist() == [1, 2, 3]
    assert table.groupby("spectrum")["time_second"].first().tolist() == [0.0, 600.0, 1200.0]
    assert table["current_ampere"].iloc[0] == pytest.approx(-1e-3)
    assert (table["z_imag_ohm"] == -1.0).all()
    assert parsed.warnings


def test_frequency_restart_starts_a_new_spectrum(tmp_path: Path) -> None:
    f = np.concatenate([np.geomspace(1e4, 1, 10)] * 2)
    text = "f,Z',Z''\n" + "".join(f"{v},{10.0},{-1.0}\n" for v in f)
    path = tmp_path / "two.csv"
    path.write_text(text)
    table = read(path).table
    assert table["spectrum"].tolist() == [0] * 10 + [1] * 10


@pytest.mark.parametrize(
    "name", ["data.dta", "data.mpt", "data.z", "data-comma.csv", "case-negative-real-imaginary.csv"]
)
def test_pyimpspec_control_spectrum_reads_the_same_in_every_format(
    eis_dir: Path, name: str
) -> None:
    reference = read(eis_dir / "vyrjana+pyimpspec/tests/data-comma.csv").table
    table = read(eis_dir / "vyrjana+pyimpspec/tests" / name).table
    assert len(table) == 29
    np.testing.assert_allclose(table["frequency_hz"], reference["frequency_hz"], rtol=1e-6)
    np.testing.assert_allclose(table["z_real_ohm"], reference["z_real_ohm"], rtol=1e-4)
    np.testing.assert_allclose(table["z_imag_ohm"], reference["z_imag_ohm"], rtol=1e-4)
