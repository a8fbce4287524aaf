"""HDF5 cycling files: battery-data-toolkit (battdat) and Indigo, on the shared real files
(values the origin projects assert, MANIFEST.tsv) and on files built here for the refusals."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from analysis.cycling import analyze_cycling
from analysis.readers import ParseError, read

BATTDAT = "cycling/ROVI-org+battery-data-toolkit/tests/files/example-data/"
INDIGO = "cycling/TRI-AMDD+beep/beep/tests/test_files/indigo_test_sample.h5"


@pytest.mark.parametrize("start", ["charged", "discharged"])
def test_battdat_single_resistor_gives_the_analytic_capacity_and_energy(
    conformance_data: Path, start: str
) -> None:
    # battery-data-toolkit's test_cycle_stats: 1 A for 1 h each way through a resistor, so
    # 1.0 Ah each way, 9360/3600 Wh charged and 8640/3600 Wh discharged; one cycle, number 0.
    result = read(conformance_data / BATTDAT / f"single-resistor-constant-charge_from-{start}.hdf")
    assert result.format == "battdat-hdf5"
    table = result.table
    assert len(table) == 2401
    assert set(np.unique(table["cycle_count"])) == {0.0}
    assert result.metadata["battdat_version"] == "0.4.2"
    cycling = analyze_cycling(table, cell_type="full")
    kinds = cycling.half_cycles.set_index("kind")
    np.testing.assert_allclose(kinds.loc["charge", "capacity_mAh"], 1000.0, rtol=1e-2)
    np.testing.assert_allclose(kinds.loc["discharge", "capacity_mAh"], 1000.0, rtol=1e-2)
    charge = cycling.cycles["charge_energy_mWh"].dropna().iloc[0]
    discharge = cycling.cycles["discharge_energy_mWh"].dropna().iloc[0]
    np.testing.assert_allclose(charge, 9360 / 3600 * 1000, rtol=1e-2)
    np.testing.assert_allclose(discharge, 8640 / 3600 * 1000, rtol=1e-2)


def test_indigo_columns_units_and_counters(conformance_data: Path) -> None:
    result = read(conformance_data / INDIGO)
    assert result.format == "indigo-hdf5"
    table = result.table
    # BEEP's test_from_file: voltage, current, cycle and step indices, capacities, temperature.
    for column in (
        "voltage_volt",
        "current_ampere",
        "cycle_count",
        "step_count",
        "charging_capacity_ah",
        "discharging_capacity_ah",
        "temperature_t1_celsius",
        "unix_time_second",
    ):
        assert column in table.columns
    assert table["test_time_second"].iloc[0] == pytest.approx(31.532019, abs=1e-5)
    assert table["unix_time_second"].iloc[0] == pytest.approx(1570746395.467835, abs=1e-5)
    assert result.metadata["cell_id"] == 452
    # Indigo counts charge per half-cycle: the first discharge (about 17.4 Ah at 5 A, densely
    # sampled) agrees with the integrated current within 0.5 %.
    first = analyze_cycling(table, cell_type="full").half_cycles.iloc[0]
    assert first["kind"] == "discharge"
    assert first["capacity_mAh"] == pytest.approx(first["integrated_capacity_mAh"], rel=5e-3)
    assert first["capacity_mAh"] == pytest.approx(17430.6, rel=1e-4)


def _battdat(path: Path, units: dict[str, str], fields: tuple[str, ...]) -> Path:
    n = 20
    data = np.zeros(n, dtype=[(f, "f8") for f in fields])
    if "test_time" in fields:
        data["test_time"] = np.arange(n, dtype=float)
    schema = {name: {"units": unit, "type": "float"} for name, unit in units.items()}
    with h5py.File(path, "w") as h5:
        h5.attrs["battdat_version"] = b"0.4.2"
        dataset = h5.create_dataset("raw_data", data=data)
        dataset.attrs["metadata"] = json.dumps(schema).encode()
    return path


def test_battdat_units_from_the_schema_are_honoured(tmp_path: Path) -> None:
    path = _battdat(
        tmp_path / "ma.hdf",
        {"test_time": "min", "current": "mA", "voltage": "V"},
        ("test_time", "current", "voltage"),
    )
    with h5py.File(path, "r+") as h5:
        data = h5["raw_data"][()]
        data["current"] = 500.0
        data["voltage"] = 3.7
        h5["raw_data"][...] = data
    table = read(path).table
    assert table["current_ampere"].iloc[0] == pytest.approx(0.5)
    assert table["test_time_second"].iloc[1] == pytest.approx(60.0)


def test_battdat_refusals_name_the_file_and_column(tmp_path: Path) -> None:
    path = _battdat(
        tmp_path / "furlong.hdf",
        {"test_time": "fortnight", "current": "A", "voltage": "V"},
        ("test_time", "current", "voltage"),
    )
    with pytest.raises(ParseError, match=r"furlong\.hdf.*raw_data/test_time.*fortnight"):
        read(path)
    path = _battdat(tmp_path / "novolt.hdf", {}, ("test_time", "current"))
    with pytest.raises(ParseError, match=r"novolt\.hdf.*voltage"):
        read(path, format="battdat-hdf5")
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as h5:
        h5.create_dataset("something", data=np.zeros(3))
    with pytest.raises(ParseError, match=r"other\.h5: format not recognised"):
        read(other)
    with pytest.raises(ParseError, match=r"other\.h5: no raw_data table"):
        read(other, format="battdat-hdf5")
    with pytest.raises(ParseError, match=r"other\.h5: no time_series_data frame"):
        read(other, format="indigo-hdf5")
