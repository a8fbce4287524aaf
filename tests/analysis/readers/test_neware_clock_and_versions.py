"""Neware files whose wall clock runs backwards read from their relative time; the vendor
software version a file records is kept in the table's metadata."""

from __future__ import annotations

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
