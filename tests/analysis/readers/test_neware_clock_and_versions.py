"""Neware files whose wall clock runs backwards read from their relative time; the vendor
software version a file records is kept in the table's metadata."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.readers import ParseError, read
from analysis.readers.neware import nda_table

FASTNDA = "cycling/g-kimbell+fastnda/tests/test_data"
CLOCK_MESSAGE = (
    "IMPORTANT: This ndax has negative jumps in the 'unix_time_s' column! "
    "Use the 'total_time_s' column for analysis."
)


def fastnda_frame(unix: np.ndarray) -> pd.DataFrame:
    """A table with the columns and conventions of ``fastnda.read(columns="bdf")``: two steps
    (charge 30 rows, then discharge 30 rows) at 1 s, 1 mA."""
    n = len(unix)
    half = n // 2
    current = np.r_[np.full(half, 1e-3), np.full(n - half, -1e-3)]
    t = np.arange(n, dtype=float)
    step_t = np.r_[np.arange(half), np.arange(n - half)].astype(float)
    return pd.DataFrame(
        {
            "test_time_second": t,
            "voltage_volt": 3.7 + 1e-3 * np.sign(current) * step_t,
            "current_ampere": current,
            "unix_time_second": unix,
            "step_time_second": step_t,
            "cycle_count": np.ones(n),
            "step_count": np.r_[np.ones(half), np.full(n - half, 2.0)],
            "step_id": np.r_[np.ones(half), np.full(n - half, 2.0)],
            "step_type": np.where(current > 0, "CC_Chg", "CC_DChg"),
            "step_net_capacity_ah": current * step_t / 3600.0,
            "step_net_energy_wh": 3.7 * current * step_t / 3600.0,
        }
    )


def test_wall_clock_running_backwards_reads_from_the_test_time() -> None:
    unix = 1.7e9 + np.arange(60, dtype=float)
    unix[40:] -= 3600.0  # the instrument's clock set back an hour at row 40
    parsed = nda_table(fastnda_frame(unix), [CLOCK_MESSAGE], Path("clock.ndax"))
    table = parsed.table
    assert "unix_time_second" not in table.columns
    np.testing.assert_allclose(table["test_time_second"], np.arange(60.0))
    assert parsed.metadata["wall_clock_jumps"] == [{"row": 41, "jump_s": -3599.0}]
    assert any("wall clock (unix time) jumps backwards" in w for w in parsed.warnings)
    # The charge is counted from the relative time, not from the broken clock: 29 s at 1 mA.
    assert table["charging_capacity_ah"].max() == pytest.approx(29e-3 / 3600)


def test_other_fastnda_warnings_are_still_damage() -> None:
    unix = 1.7e9 + np.arange(60, dtype=float)
    with pytest.raises(ParseError, match=r"the Neware file is damaged: TestInfo\.xml"):
        nda_table(fastnda_frame(unix), ["TestInfo.xml undecodable"], Path("bad.ndax"))


def test_ndax_records_the_bts_client_version(conformance_data: Path) -> None:
    result = read(conformance_data / FASTNDA / "46_1_5_60_bts16.ndax")
    assert result.metadata["software_version"].startswith("BTS Client 8.0.1.492")


def test_mpt_records_the_ec_lab_version(conformance_data: Path) -> None:
    result = read(conformance_data / "eis/ECSHackWeek+impedance.py/data/exampleDataBioLogic.mpt")
    assert result.metadata["software_version"].startswith("EC-Lab 11.")


#: fastnda's layout of one row of a BTS 8 ``data_runInfo.ndc`` (ndc version 14, file type 18):
#: 55-byte rows from byte 132 of each 4096-byte record, the first record being the file header.
RUNINFO_14 = np.dtype(
    {
        "names": ["unix_time_s", "index"],
        "formats": ["<u4", "<u4"],
        "offsets": [33, 41],
        "itemsize": 55,
    }
)


def clock_set_back(runinfo: bytes, *, after_index: int, seconds: int) -> bytes:
    """``data_runInfo.ndc`` with the wall clock of the rows after ``after_index`` set back by
    ``seconds`` (as a BTS whose computer clock was corrected during the test writes it)."""
    assert runinfo[0] == 18 and runinfo[2] == 14  # file type, ndc version
    buf = bytearray(runinfo)
    records = np.frombuffer(buf, dtype=np.uint8)[4096:].reshape(-1, 4096)
    rows = records[:, 132 : 132 + 72 * 55].view(RUNINFO_14)
    later = (rows["index"] > after_index) & (rows["unix_time_s"] > seconds)
    assert later.any()
    rows["unix_time_s"][later] -= seconds
    return bytes(buf)


def test_a_real_ndax_whose_clock_was_set_back_reads_from_its_test_time(
    conformance_data: Path, tmp_path: Path
) -> None:
    source = conformance_data / FASTNDA / "Unit27_Example_Data_File.ndax"
    original = read(source)
    patched = tmp_path / "clock_set_back.ndax"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(patched, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "data_runInfo.ndc":
                data = clock_set_back(data, after_index=150, seconds=3600)
            zout.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED)
    parsed = read(patched)  # fastnda warns of the negative jumps: not taken for damage
    assert parsed.format == "neware-nda"
    assert "unix_time_second" in original.table.columns
    assert "unix_time_second" not in parsed.table.columns
    assert any("wall clock (unix time) jumps backwards" in w for w in parsed.warnings)
    jumps = parsed.metadata["wall_clock_jumps"]
    assert len(jumps) == 1 and -3600 < jumps[0]["jump_s"] < -3500
    assert parsed.metadata["software_version"] == original.metadata["software_version"]
    for column in ("test_time_second", "voltage_volt", "current_ampere", "charging_capacity_ah"):
        np.testing.assert_array_equal(parsed.table[column], original.table[column])
