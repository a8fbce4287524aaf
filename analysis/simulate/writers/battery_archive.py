"""Battery Archive (batteryarchive.org) CSV downloads of a cycler trace: the time series and
the per-cycle table.

Column names as the archive publishes them (and BEEP's ``BatteryArchiveDatapath`` reads them):

- time series (``*_timeseries.csv``): ``Date_Time`` (``YYYY-MM-DD HH:MM:SS.ffffff``),
  ``Test_Time (s)``, ``Cycle_Index``, ``Current (A)`` (negative discharging), ``Voltage (V)``,
  ``Charge_Capacity (Ah)``, ``Discharge_Capacity (Ah)``, ``Charge_Energy (Wh)``,
  ``Discharge_Energy (Wh)`` (cumulative within the cycle, as the source Arbin counted them),
  ``Environment_Temperature (C)``, ``Cell_Temperature (C)``; no step column;
- cycle table (``*_cycle_data.csv``): ``Cycle_Index``, ``Start_Time``, ``End_Time``,
  ``Test_Time (s)``, ``Min_Current (A)``, ``Max_Current (A)``, ``Min_Voltage (V)``,
  ``Max_Voltage (V)``, ``Charge_Capacity (Ah)``, ``Discharge_Capacity (Ah)``,
  ``Charge_Energy (Wh)``, ``Discharge_Energy (Wh)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from analysis.simulate.writers.rows import CyclerRows, integers, numbers, wall_clock, write_text


def write_battery_archive_timeseries(path: str | Path, rows: CyclerRows) -> Path:
    """Write ``rows`` as a Battery Archive time-series CSV."""
    columns = {
        "Date_Time": wall_clock(rows.unix_time_s, "%Y-%m-%d %H:%M:%S.000000"),
        "Test_Time (s)": numbers(rows.test_time_s, 3),
        "Cycle_Index": integers(rows.cycle),
        "Current (A)": numbers(rows.current_A, 6),
        "Voltage (V)": numbers(rows.voltage_V, 6),
        "Charge_Capacity (Ah)": numbers(rows.charge_capacity_Ah, 7),
        "Discharge_Capacity (Ah)": numbers(rows.discharge_capacity_Ah, 7),
        "Charge_Energy (Wh)": numbers(rows.charge_energy_Wh, 7),
        "Discharge_Energy (Wh)": numbers(rows.discharge_energy_Wh, 7),
        "Environment_Temperature (C)": numbers(rows.temperature_C, 2),
        "Cell_Temperature (C)": numbers(rows.temperature_C, 2),
    }
    return write_text(path, columns, line_end="\n")


def write_battery_archive_cycles(path: str | Path, rows: CyclerRows) -> Path:
    """Write the per-cycle table of ``rows`` as a Battery Archive cycle-data CSV."""
    starts = np.flatnonzero(np.r_[True, rows.cycle[1:] != rows.cycle[:-1]])
    ends = np.r_[starts[1:] - 1, len(rows) - 1]
    i, v = rows.current_A, rows.voltage_V
    columns = {
        "Cycle_Index": integers(rows.cycle[starts]),
        "Start_Time": wall_clock(rows.unix_time_s[starts], "%Y-%m-%d %H:%M:%S"),
        "End_Time": wall_clock(rows.unix_time_s[ends], "%Y-%m-%d %H:%M:%S"),
        "Test_Time (s)": numbers(rows.test_time_s[ends], 3),
        "Min_Current (A)": numbers(np.minimum.reduceat(i, starts), 6),
        "Max_Current (A)": numbers(np.maximum.reduceat(i, starts), 6),
        "Min_Voltage (V)": numbers(np.minimum.reduceat(v, starts), 6),
        "Max_Voltage (V)": numbers(np.maximum.reduceat(v, starts), 6),
        "Charge_Capacity (Ah)": numbers(np.maximum.reduceat(rows.charge_capacity_Ah, starts), 7),
        "Discharge_Capacity (Ah)": numbers(
            np.maximum.reduceat(rows.discharge_capacity_Ah, starts), 7
        ),
        "Charge_Energy (Wh)": numbers(np.maximum.reduceat(rows.charge_energy_Wh, starts), 7),
        "Discharge_Energy (Wh)": numbers(np.maximum.reduceat(rows.discharge_energy_Wh, starts), 7),
    }
    return write_text(path, columns, line_end="\n")
