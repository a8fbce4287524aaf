"""Every vendor layout the simulator writes is recognised from its content and reads to the run
it was written from: times in seconds whatever the file's unit (clock text, minutes, hours),
currents signed as BDF (positive charging), capacities in Ah per step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.readers import read
from analysis.simulate.writers.battery_archive import write_battery_archive_cycles
from analysis.simulate.writers.bdf import bdf_columns
from tests.analysis.readers.cycler_files import CURRENT_A, VARIANTS, small_rows

# What the writers round to (the coarsest of the layouts: Maccor minutes to 1e-6 min,
# Landt's published layout to 0.1 mAh): differences above these are reader errors.
TOLERANCE = {
    "test_time_second": 0.01,
    "step_time_second": 0.01,
    "voltage_volt": 1e-4,
    "current_ampere": 1e-7,
    "charging_capacity_ah": 1e-4,
    "discharging_capacity_ah": 1e-4,
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_reads_to_the_run_it_was_written_from(tmp_path: Path, variant: str) -> None:
    name, writer, fmt = VARIANTS[variant]
    rows = small_rows()
    path = writer(tmp_path / name, rows)
    result = read(path)
    assert result.format == fmt
    table = result.table
    assert len(table) == len(rows)
    truth = bdf_columns(rows)
    for column, tolerance in TOLERANCE.items():
        if column not in table.columns:
            assert column == "step_time_second" and fmt == "battery-archive"
            continue
        error = np.abs(table[column].to_numpy() - truth[column])
        assert error.max() <= tolerance, (column, float(error.max()))
    # Plating is a discharge of the test object (negative), stripping a charge.
    assert table["current_ampere"].min() == pytest.approx(-CURRENT_A)
    assert table["current_ampere"].max() == pytest.approx(CURRENT_A)
    # One hour at 1 mA plated per cycle: 1 mAh, counted within its step.
    assert table["discharging_capacity_ah"].max() == pytest.approx(1e-3, abs=1e-4)


def test_maccor_minutes_are_converted_to_seconds(tmp_path: Path) -> None:
    name, writer, _ = VARIANTS["maccor-minutes"]
    path = writer(tmp_path / name, small_rows())
    assert "Test (Min)" in path.read_text(encoding="latin-1").splitlines()[1]
    table = read(path).table
    # The rest lasts 600 s: 10 in the file's minutes.
    first_plating = int(np.argmax(table["current_ampere"].to_numpy() < 0))
    assert table["test_time_second"].iloc[first_plating] == pytest.approx(600.001, abs=0.01)


def test_novonix_software_version_is_recorded(tmp_path: Path) -> None:
    name, writer, _ = VARIANTS["novonix"]
    result = read(writer(tmp_path / name, small_rows()))
    assert result.metadata["software_version"] == "2.2.1.6"


def test_landt_published_layout_keeps_its_header_lines(tmp_path: Path) -> None:
    name, writer, _ = VARIANTS["landt-bdf-example"]
    result = read(writer(tmp_path / name, small_rows()))
    assert result.metadata["layout"] == "bdf-example"
    assert "Nominal capacity used to define the C rate" in result.metadata
    assert not result.warnings  # the trailing comma of every row is not a malformed row


def test_battery_archive_cycle_table_is_a_summary_not_a_time_series(tmp_path: Path) -> None:
    rows = small_rows()
    result = read(write_battery_archive_cycles(tmp_path / "x_cycle_data.csv", rows))
    assert result.format == "battery-archive-cycles"
    assert result.kind == "cycle-summary"
    assert result.table["cycle_count"].tolist() == [1.0, 2.0]
    # Cycle 1: 1 mAh plated (discharge) and 50 min x 1 mA = 0.8333 mAh stripped (charge).
    np.testing.assert_allclose(result.table["discharging_capacity_ah"], [1e-3, 1e-3], atol=1e-6)
    np.testing.assert_allclose(
        result.table["charging_capacity_ah"], [3000 / 3600 * 1e-3] * 2, atol=1e-6
    )
