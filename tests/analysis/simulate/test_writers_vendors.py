"""The simulator's vendor writers write the layouts the vendors' software writes (as their
documentation and peers' readers describe them): header lines, column names and units, clock
texts, separators, quoting."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from analysis.simulate.writers.battery_archive import write_battery_archive_timeseries
from analysis.simulate.writers.landt import write_landt_csv
from analysis.simulate.writers.maccor import write_maccor_txt
from analysis.simulate.writers.neware import write_neware_csv
from analysis.simulate.writers.novonix import write_novonix_csv
from analysis.simulate.writers.rows import clock, numbers
from tests.analysis.readers.cycler_files import small_rows


def test_numbers_are_fixed_point_and_clocks_run_past_24_hours() -> None:
    assert numbers([1.05e-6, -0.5, 0.0, 12.25], 6).to_pylist() == [
        "0.000001",
        "-0.500000",
        "0.000000",
        "12.250000",
    ]
    assert clock([0.0, 3661.5, 90000.25]).to_pylist() == [
        "00:00:00.000",
        "01:01:01.500",
        "25:00:00.250",
    ]
    assert clock([90000.0], decimals=2, days=True).to_pylist() == ["1d 01:00:00.00"]


def test_neware_bts8_units_clock_texts_and_decimal_comma(tmp_path: Path) -> None:
    rows = small_rows()
    lines = write_neware_csv(tmp_path / "n.csv", rows, units="bts8").read_text().splitlines()
    header = lines[0].split(",")
    assert {"Current(uA)", "Voltage(mV)", "Capacity(mAs)", "Energy(mWs)"} <= set(header)
    time = lines[1].split(",")[header.index("Total Time")]
    assert re.fullmatch(r"\d{2}:\d{2}:\d{2}\.\d{3}", time)
    comma = write_neware_csv(tmp_path / "c.csv", rows, decimal_comma=True).read_text()
    first = comma.splitlines()[1].split(";")
    assert first[7] == "1,9000"  # Voltage(V) of the first row, written 1,9000
    assert first[5] == "00:00:00.000"  # clock texts keep their point


def test_maccor_header_state_and_unsigned_amps(tmp_path: Path) -> None:
    lines = (
        write_maccor_txt(tmp_path / "m.txt", small_rows(), time="minutes")
        .read_text("latin-1")
        .splitlines()
    )
    assert lines[0].startswith("Today's Date ")
    assert lines[1].split("\t")[:5] == ["Rec#", "Cyc#", "Step", "Test (Min)", "Step (Min)"]
    rows = [ln.split("\t") for ln in lines[2:]]
    assert {r[9] for r in rows} == {"R", "C", "D"}
    assert min(float(r[7]) for r in rows) >= 0.0  # Amps unsigned: the state gives the sign


def test_landt_published_layout_key_lines_and_trailing_comma(tmp_path: Path) -> None:
    lines = write_landt_csv(tmp_path / "l.csv", small_rows(), layout="bdf-example").read_text()
    text = lines.splitlines()
    assert [ln.split(":")[0] for ln in text[:4]] == ["cell model", "cell id", "test", "checkpoint"]
    assert text[6].split(",")[:5] == [
        "channel_index",
        "cycle_index",
        "step_index",
        "date_time_iso_string",
        "test_time_s",
    ]
    assert len(text[6].split(",")) == 17
    assert text[7].endswith(",") and len(text[7].split(",")) == 18
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}", text[7].split(",")[3])


def test_novonix_blocks_and_quoted_lines(tmp_path: Path) -> None:
    text = write_novonix_csv(tmp_path / "n.csv", small_rows()).read_text().splitlines()
    assert text[0] == "[Summary]" and "Version: 2.2.1.6" in text
    data = text.index("[Data]")
    assert text[data + 1].startswith('"Date and Time,Cycle Number,Step Type,Run Time (h)')
    assert all(ln.startswith('"') and ln.endswith('"') for ln in text[data + 1 :])


def test_battery_archive_published_names(tmp_path: Path) -> None:
    rows = small_rows()
    text = write_battery_archive_timeseries(tmp_path / "t.csv", rows).read_text().splitlines()
    assert text[0].split(",") == [
        "Date_Time",
        "Test_Time (s)",
        "Cycle_Index",
        "Current (A)",
        "Voltage (V)",
        "Charge_Capacity (Ah)",
        "Discharge_Capacity (Ah)",
        "Charge_Energy (Wh)",
        "Discharge_Energy (Wh)",
        "Environment_Temperature (C)",
        "Cell_Temperature (C)",
    ]
    charge = np.array([float(ln.split(",")[5]) for ln in text[1:]])
    cycle = np.array([int(ln.split(",")[2]) for ln in text[1:]])
    # Cumulative within the cycle: it only drops where a new cycle starts.
    drops = np.flatnonzero(np.diff(charge) < 0) + 1
    assert set(np.diff(cycle)[drops - 1]) == {1}
