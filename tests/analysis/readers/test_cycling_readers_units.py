"""Cycling readers on small files the tests write: mapping, units, detection, repair rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.readers import ParseError, detect, read
from analysis.readers.canonical import finish_cycling, per_step

MAPPING = {"test_time_second": "t", "voltage_volt": "E(mV)", "current_ampere": "I [uA]"}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def frame(n: int = 10, **extra: np.ndarray) -> pd.DataFrame:
    data = {
        "test_time_second": np.arange(n, dtype=float),
        "voltage_volt": np.linspace(3.0, 4.0, n),
        "current_ampere": np.full(n, 0.1),
    }
    data.update(extra)
    return pd.DataFrame(data)


def test_generic_csv_mapping_and_units_from_headers_and_options(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "run.csv",
        "instrument: homemade\nnote; free text\nt,E(mV),I [uA],Q\n0,3000,500,0\n3600,3100,500,0.5\n7200,3200,-500,0.5\n",
    )
    result = read(
        path,
        format="csv",
        mapping={**MAPPING, "charging_capacity_ah": "Q", "test_time_second": "t"},
        units={"charging_capacity_ah": "mAh"},
    )
    table = result.table
    np.testing.assert_allclose(table["voltage_volt"], [3.0, 3.1, 3.2])
    np.testing.assert_allclose(table["current_ampere"], [5e-4, 5e-4, -5e-4])
    np.testing.assert_allclose(table["test_time_second"], [0, 3600, 7200])
    # Steps come from the current's sign when the file has none; a per-test counter is
    # made per step (the discharge step charges nothing).
    np.testing.assert_allclose(table["charging_capacity_ah"], [0.0, 5e-4, 0.0])
    assert result.metadata["header_row"] == 3
    assert any("SI assumed for 't' in s" in w for w in result.warnings)


def test_generic_csv_hours_semicolon_decimal_comma_and_sign(tmp_path: Path) -> None:
    path = write(tmp_path, "eu.txt", "time;U;I\n0;3,5;1,5\n0,5;3,6;1,5\n")
    table = read(
        path,
        format="csv",
        mapping={"test_time_second": "time", "voltage_volt": "U", "current_ampere": "I"},
        units={"test_time_second": "h", "current_ampere": "mA"},
        decimal_comma=True,
        current_sign=-1,
    ).table
    np.testing.assert_allclose(table["test_time_second"], [0, 1800])
    np.testing.assert_allclose(table["voltage_volt"], [3.5, 3.6])
    np.testing.assert_allclose(table["current_ampere"], [-1.5e-3, -1.5e-3])


def test_generic_csv_without_mapping_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", "a,b\n1,2\n")
    with pytest.raises(ParseError, match=r"x\.csv: the generic CSV reader needs a column mapping"):
        read(path, format="csv")


def test_detection_from_content_not_extension(tmp_path: Path) -> None:
    bdf = write(
        tmp_path, "data.txt", "Test Time / s,Voltage / V,Current / A\n0,3.7,0.1\n1,3.6,0.1\n"
    )
    assert detect(bdf).name == "bdf"
    maccor = write(
        tmp_path,
        "whatever.csv",
        "Today's Date 1/1/2020\nRec#\tCyc#\tStep\tTest (Sec)\tStep (Sec)\tAmp-hr\tWatt-hr\tAmps\tVolts\tState\n"
        "1\t0\t1\t0\t0\t0\t0\t0\t3.5\tR\n2\t0\t2\t1\t1\t0.001\t0.0035\t1.0\t3.6\tD\n",
    )
    assert detect(maccor).name == "maccor"
    table = read(maccor).table
    assert table["current_ampere"].iloc[1] == -1.0  # Maccor: the sign comes from State D
    assert table["discharging_capacity_ah"].iloc[1] == pytest.approx(0.001)
    unknown = write(tmp_path, "numbers.csv", "a,b\n1,2\n")
    with pytest.raises(ParseError, match=r"numbers\.csv: format not recognised"):
        detect(unknown)


def test_explicit_format_overrides_detection(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", "Test Time / s,Voltage / V,Current / A\n0,3.7,0.1\n1,3.6,0.1\n")
    result = read(
        path,
        format="csv",
        mapping={
            "test_time_second": "Test Time / s",
            "voltage_volt": "Voltage / V",
            "current_ampere": "Current / A",
        },
    )
    assert result.format == "csv"
    assert read(path).format == "bdf"


def test_landt_csv(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "landt.csv",
        "Record,TestTime/s,StepTime/s,Current/mA,Voltage/V,Capacity/mAh,Energy/mWh,Cycle,Step\n"
        "1,0,0,0,3.0,0,0,1,1\n2,10,0,2,3.1,0,0,1,2\n3,20,10,2,3.2,0.0055,0.017,1,2\n"
        "4,30,0,-2,3.1,0,0,1,3\n5,40,10,-2,3.0,0.0055,0.016,1,3\n",
    )
    result = read(path)
    assert result.format == "landt"
    table = result.table
    np.testing.assert_allclose(table["current_ampere"], [0, 2e-3, 2e-3, -2e-3, -2e-3])
    np.testing.assert_allclose(table["charging_capacity_ah"], [0, 0, 5.5e-6, 0, 0])
    np.testing.assert_allclose(table["discharging_capacity_ah"], [0, 0, 0, 0, 5.5e-6])
    np.testing.assert_allclose(table["charging_energy_wh"].iloc[2], 1.7e-5)


def test_missing_required_column_is_refused() -> None:
    with pytest.raises(
        ParseError, match=r"f.csv, column 'current_ampere': a required column is missing"
    ):
        finish_cycling(frame().drop(columns="current_ampere"), file="f.csv")


def test_isolated_nan_is_interpolated_with_a_warning() -> None:
    voltage = np.linspace(3.0, 4.0, 10)
    voltage[4] = np.inf
    parsed = finish_cycling(frame(voltage_volt=voltage), file="f.csv", first_row=2)
    assert parsed.table["voltage_volt"].iloc[4] == pytest.approx(3.0 + 4 / 9)
    assert parsed.warnings == (
        "column voltage_volt: 1 NaN/Inf value(s) linearly interpolated (rows 6)",
    )


def test_long_nan_run_in_a_required_column_is_refused() -> None:
    current = np.full(10, 0.1)
    current[2:7] = np.nan
    with pytest.raises(
        ParseError, match=r"f.csv, row 4, column 'current_ampere': 5 non-finite values"
    ):
        finish_cycling(frame(current_ampere=current), file="f.csv", first_row=2)


def test_empty_optional_column_is_dropped_with_a_warning() -> None:
    parsed = finish_cycling(frame(temperature_t1_celsius=np.full(10, np.nan)), file="f.csv")
    assert "temperature_t1_celsius" not in parsed.table
    assert parsed.warnings == ("column temperature_t1_celsius is empty in the file; dropped",)


def test_truncated_last_row_is_dropped_with_a_warning() -> None:
    voltage = np.linspace(3.0, 4.0, 10)
    voltage[-1] = np.nan
    parsed = finish_cycling(frame(voltage_volt=voltage), file="f.csv", first_row=2)
    assert len(parsed.table) == 9
    assert parsed.warnings[0].startswith("row 11: the last row is truncated")


def test_truncated_last_line_of_a_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "cut.csv", "t,E(mV),I [uA]\n0,3000,5\n1,3001,5\n2,30")
    result = read(path, format="csv", mapping=MAPPING)
    assert len(result.table) == 2
    assert "row 4: the last row is truncated (2 of 3 fields); dropped" in result.warnings


def test_malformed_row_in_the_middle_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", "t,E(mV),I [uA]\n0,3000,5\n1,3001\n2,3002,5\n")
    with pytest.raises(ParseError, match=r"bad.csv, row 3: malformed row: expected 3 fields"):
        read(path, format="csv", mapping=MAPPING)


def test_time_reset_is_made_continuous() -> None:
    t = np.array([0.0, 10, 20, 30, 0, 10, 20])
    parsed = finish_cycling(frame(7, test_time_second=t), file="f.csv")
    np.testing.assert_allclose(parsed.table["test_time_second"], [0, 10, 20, 30, 40, 50, 60])
    assert parsed.metadata["time_resets"] == 1
    assert "test time goes backwards at 1 row(s)" in parsed.warnings[0]


def test_single_row_time_glitch_takes_the_previous_time() -> None:
    t = np.array([0.0, 10, 20, 0, 21, 30])
    parsed = finish_cycling(frame(6, test_time_second=t), file="f.csv")
    np.testing.assert_allclose(parsed.table["test_time_second"], [0, 10, 20, 20, 21, 30])


def test_gap_over_an_hour_is_kept_and_reported() -> None:
    t = np.array([0.0, 10, 20, 7221, 7231])
    parsed = finish_cycling(frame(5, test_time_second=t), file="f.csv", first_row=2)
    np.testing.assert_allclose(parsed.table["test_time_second"], t)
    assert parsed.metadata["time_gaps"] == [{"row": 5, "start_s": 20.0, "duration_s": 7201.0}]


def test_pause_seen_only_by_the_wall_clock_is_added() -> None:
    t = np.array([0.0, 10, 20, 30])
    unix = 1.6e9 + np.array([0.0, 10, 7220, 7230])
    parsed = finish_cycling(frame(4, test_time_second=t, unix_time_second=unix), file="f.csv")
    np.testing.assert_allclose(parsed.table["test_time_second"], [0, 10, 7220, 7230])
    assert parsed.metadata["pauses"][0]["duration_s"] == pytest.approx(7200.0)


def test_per_test_counter_becomes_per_step() -> None:
    starts = np.array([True, False, False, True, False, True, False])
    per_test = np.array([0.0, 1, 2, 2, 2, 2.5, 3])  # cumulative over the test
    np.testing.assert_allclose(per_step(per_test, starts), [0, 1, 2, 0, 0, 0.5, 1])
    per_cycle = np.array([0.0, 1, 2, 0.5, 1, 0.2, 0.4])  # restarted by the vendor at row 4
    np.testing.assert_allclose(per_step(per_cycle, starts), [0, 1, 2, 0.5, 1, 0.2, 0.4])


def test_vendor_counters_per_cycle_through_finish_cycling() -> None:
    extra = {
        "step_index": np.array([1.0, 1, 2, 2, 3, 3]),
        "charging_capacity_ah": np.array([0.0, 1, 1, 1, 1.2, 1.5]),
    }
    parsed = finish_cycling(frame(6, **extra), file="f.csv")
    np.testing.assert_allclose(parsed.table["charging_capacity_ah"], [0, 1, 0, 0, 0.2, 0.5])
    np.testing.assert_allclose(parsed.table["step_count"], [1, 1, 2, 2, 3, 3])
    assert all(parsed.table[c].dtype == np.float64 for c in parsed.table)
