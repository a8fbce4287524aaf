"""Landt (LANHE) CSV exports of a cycler trace, in the two layouts labs share.

- ``layout="lanhe"``: LANHE/LANDdt's own CSV export, units after a slash in the header:
  ``Record, TestTime/s, StepTime/s, Current/mA, Voltage/V, Capacity/mAh, Energy/mWh, SysTime,
  Cycle, Step, State`` (current signed, capacity and energy unsigned and per step).
- ``layout="bdf-example"``: the layout of the Landt record table published with the Battery Data
  Format's example data (SINTEF coin cell, 2024): six ``key:`` lines (cell model, cell id, test,
  checkpoint, nominal capacity and energy), then ``channel_index, cycle_index, step_index,
  date_time_iso_string, test_time_s, step_time_s, current_A, voltage_V, discharge_capacity_Ah,
  charge_capacity_Ah, discharge_energy_Wh, charge_energy_Wh, Pressure_Psi, temperature_1_C,
  temperature_2_C, temperature_3_C, step_name``; every data row ends with one more comma than
  the header has, the date is ``MM/DD/YYYY HH:MM:SS``, the counters are per step and unsigned.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from analysis.simulate.writers.rows import CyclerRows, integers, numbers, wall_clock, write_text


def write_landt_csv(
    path: str | Path,
    rows: CyclerRows,
    *,
    layout: Literal["lanhe", "bdf-example"] = "lanhe",
    decimal_comma: bool = False,
) -> Path:
    """Write ``rows`` as a Landt CSV export (see the module docstring); ``decimal_comma``
    (LANHE layout): ``;`` between fields and decimal commas, as on a European Windows."""
    direction = rows.step_direction
    q, e = rows.step_capacity_Ah, rows.step_energy_Wh
    if layout == "lanhe":
        state = np.where(direction > 0, "C_CC", np.where(direction < 0, "D_CC", "R"))
        columns = {
            "Record": integers(np.arange(1, len(rows) + 1)),
            "TestTime/s": numbers(rows.test_time_s, 3),
            "StepTime/s": numbers(rows.step_time_s, 3),
            "Current/mA": numbers(rows.current_A * 1e3, 5),
            "Voltage/V": numbers(rows.voltage_V, 5),
            "Capacity/mAh": numbers(q * 1e3, 6),
            "Energy/mWh": numbers(e * 1e3, 6),
            "SysTime": wall_clock(rows.unix_time_s, "%Y-%m-%d %H:%M:%S"),
            "Cycle": integers(rows.cycle),
            "Step": integers(rows.step_index),
            "State": state,
        }
        return write_text(
            path,
            columns,
            encoding="utf-8",
            delimiter=";" if decimal_comma else ",",
            decimal_comma=decimal_comma,
        )
    name = np.where(direction > 0, "charge CC", np.where(direction < 0, "discharge CC", "rest"))
    zero = numbers(np.zeros(len(rows)), 0)
    columns = {
        "channel_index": integers(np.arange(1, len(rows) + 1)),
        "cycle_index": integers(rows.cycle),
        "step_index": integers(rows.step_index),
        "date_time_iso_string": wall_clock(rows.unix_time_s, "%m/%d/%Y %H:%M:%S"),
        "test_time_s": numbers(rows.test_time_s, 3),
        "step_time_s": numbers(rows.step_time_s, 3),
        "current_A": numbers(rows.current_A, 4),
        "voltage_V": numbers(rows.voltage_V, 4),
        "discharge_capacity_Ah": numbers(np.where(direction < 0, q, 0.0), 4),
        "charge_capacity_Ah": numbers(np.where(direction > 0, q, 0.0), 4),
        "discharge_energy_Wh": numbers(np.where(direction < 0, e, 0.0), 4),
        "charge_energy_Wh": numbers(np.where(direction > 0, e, 0.0), 4),
        "Pressure_Psi": zero,
        "temperature_1_C": numbers(rows.temperature_C, 2),
        "temperature_2_C": zero,
        "temperature_3_C": zero,
        "step_name": name,
    }
    preamble = [
        "cell model:" + "," * 16,
        "cell id: " + "," * 16,
        "test: " + "," * 16,
        "checkpoint: " + "," * 16,
        "Nominal capacity used to define the C rate:Ah" + "," * 16,
        "Nominal energy used to define the E rate: Wh" + "," * 16,
    ]
    return write_text(path, columns, preamble=preamble, line_end="\n", trailing_delimiter=True)
