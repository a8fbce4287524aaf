"""Novonix HPC CSV export of a cycler trace.

``[Summary]`` block (``Novonix HPC data file``, channel, cell, protocol, mass, capacity,
``Started: YYYY-MM-DD hh:mm:ss AM``, ``Version: <software version>``), ``[End Summary]``, a
``[Protocol]`` block, then ``[Data]`` and the table. Every line of the table is wrapped in
double quotes as a whole, as the vendor's writer does. Columns: ``Date and Time, Cycle Number,
Step Type, Run Time (h), Step Time (h), Current (A), Potential (V), Capacity (Ah), Temperature
(°C), Energy (Wh), Step Number``; capacity and energy unsigned and per step, current negative
discharging.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analysis.simulate.writers.rows import CyclerRows, integers, numbers, wall_clock, write_lines


def write_novonix_csv(path: str | Path, rows: CyclerRows, *, version: str = "2.2.1.6") -> Path:
    """Write ``rows`` as a Novonix HPC CSV export (see the module docstring)."""
    direction = rows.step_direction
    step_type = np.where(direction > 0, 7, np.where(direction < 0, 8, 0))
    started = dt.datetime.fromtimestamp(float(rows.unix_time_s[0]), dt.UTC)
    parts = [
        wall_clock(rows.unix_time_s, "%Y-%m-%d %I:%M:%S %p"),
        integers(rows.cycle),
        integers(step_type),
        numbers(rows.test_time_s / 3600.0, 7),
        numbers(rows.step_time_s / 3600.0, 7),
        numbers(rows.current_A, 10),
        numbers(rows.voltage_V, 8),
        numbers(rows.step_capacity_Ah, 10),
        numbers(rows.temperature_C, 3),
        numbers(rows.step_energy_Wh, 10),
        integers(rows.step_index),
    ]
    header = (
        "Date and Time,Cycle Number,Step Type,Run Time (h),Step Time (h),Current (A),"
        "Potential (V),Capacity (Ah),Temperature (°C),Energy (Wh),Step Number"
    )
    line = _quoted(parts)
    preamble = [
        "[Summary]",
        "Novonix HPC data file",
        "Novonix",
        "Channel: 01",
        f"Cell: {Path(path).stem}",
        "Protocol: LABDB_PLATING.pro1",
        "Mass (g): 1.000",
        f"Started: {started:%Y-%m-%d %I:%M:%S %p}",
        f"Version: {version}",
        "[End Summary]",
        "[Protocol]",
        "Protocol: LABDB_PLATING.pro1",
        "[End Protocol]",
        "[Data]",
        f'"{header}"',
    ]
    return write_lines(path, line, preamble=preamble)


def _quoted(parts: list[pa.Array]) -> pa.Array:
    joined = pc.binary_join_element_wise(*parts, ",")
    return pc.binary_join_element_wise('"', joined, '"', "")
