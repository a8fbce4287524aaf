"""Battery Archive (batteryarchive.org) CSV downloads: time series and per-cycle tables.

Formats ``battery-archive`` (time series, kind ``cycling``) and ``battery-archive-cycles`` (the
per-cycle table, kind ``cycle-summary``: it holds no time series, so the cycling analysis
refuses it by name). Column names as the archive publishes them, matched without regard to case
(BEEP's ``BatteryArchiveDatapath`` lower-cases them too): ``Date_Time``, ``Test_Time (s)``,
``Cycle_Index``, ``Current (A)`` (negative discharging, BDF's sign), ``Voltage (V)``,
``Charge_Capacity (Ah)``, ``Discharge_Capacity (Ah)``, ``Charge_Energy (Wh)``,
``Discharge_Energy (Wh)`` (cumulative within the cycle, as the source cyclers counted them:
made cumulative within the step), ``Cell_Temperature (C)``; the time series has no step column,
so steps are found from changes of the current's sign (a warning says so). The cycle table:
``Cycle_Index``, ``Start_Time``, ``End_Time``, ``Test_Time (s)``, ``Min_/Max_Current (A)``,
``Min_/Max_Voltage (V)``, the four counters per cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.readers import _head, _text
from analysis.readers.base import Parsed, ParseError, register
from analysis.readers.canonical import UNITS, current_state, finish_cycling
from analysis.readers.generic_csv import convert_arrays, date_seconds

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

TIMESERIES = {
    "test_time_second": "test_time (s)",
    "voltage_volt": "voltage (v)",
    "current_ampere": "current (a)",
    "cycle_count": "cycle_index",
    "charging_capacity_ah": "charge_capacity (ah)",
    "discharging_capacity_ah": "discharge_capacity (ah)",
    "charging_energy_wh": "charge_energy (wh)",
    "discharging_energy_wh": "discharge_energy (wh)",
    "temperature_t1_celsius": "cell_temperature (c)",
}
CYCLES = {
    "cycle_count": "cycle_index",
    "test_time_second": "test_time (s)",
    "min_current_ampere": "min_current (a)",
    "max_current_ampere": "max_current (a)",
    "min_voltage_volt": "min_voltage (v)",
    "max_voltage_volt": "max_voltage (v)",
    "charging_capacity_ah": "charge_capacity (ah)",
    "discharging_capacity_ah": "discharge_capacity (ah)",
    "charging_energy_wh": "charge_energy (wh)",
    "discharging_energy_wh": "discharge_energy (wh)",
}


def _header(head: bytes) -> set[str]:
    first = head.removeprefix(_head.BOM).split(b"\n", 1)[0].decode("latin-1").strip()
    return {c.strip().strip('"').lower() for c in first.split(",")}


def _sniff_series(name: str, head: bytes) -> bool:
    return {"test_time (s)", "current (a)", "voltage (v)", "cycle_index"} <= _header(head)


def _sniff_cycles(name: str, head: bytes) -> bool:
    cells = _header(head)
    return {"cycle_index", "charge_capacity (ah)", "discharge_capacity (ah)"} <= cells and not (
        "voltage (v)" in cells or "current (a)" in cells
    )


def _read(path: Path) -> tuple[_text.TextTable, dict[str, str]]:
    _lines, encoding = _head.head_lines(path, 16 * 1024)
    text = _text.read_table(path, header_index=0, delimiter=",", encoding=encoding)
    return text, {str(c).strip().lower(): str(c) for c in text.frame.columns}


@register(
    "battery-archive",
    kind="cycling",
    extensions=(".csv",),
    sniff=_sniff_series,
    version="1",
    priority=25,
)
def read_battery_archive(path: Path, **_: Any) -> Parsed:
    """Battery Archive time-series CSV."""
    text, names = _read(path)
    mapping = {k: names[v] for k, v in TIMESERIES.items() if v in names}
    table = convert_arrays(text.frame, mapping, UNITS, file=path, first_row=text.first_row)
    if "date_time" in names:
        table["unix_time_second"] = date_seconds(text.frame[names["date_time"]])
    # No step column: a step is a run of rows of one cycle and one current direction.
    state = current_state(np.asarray(table["current_ampere"], dtype=np.float64))
    new = np.r_[True, state[1:] != state[:-1]]
    if "cycle_count" in table:
        cycle = table["cycle_count"]
        new[1:] |= cycle[1:] != cycle[:-1]
    table["step_count"] = np.cumsum(new).astype(np.float64)
    notes = [*text.warnings, "no step column in the file: steps are runs of one current direction"]
    return finish_cycling(
        table,
        file=path,
        warnings=notes,
        metadata={"source": "batteryarchive.org time series"},
        first_row=text.first_row,
    )


@register(
    "battery-archive-cycles",
    kind="cycle-summary",
    extensions=(".csv",),
    sniff=_sniff_cycles,
    version="1",
    priority=25,
)
def read_battery_archive_cycles(path: Path, **_: Any) -> Parsed:
    """Battery Archive per-cycle CSV (a summary, not a time series)."""
    text, names = _read(path)
    if "cycle_index" not in names:
        raise ParseError(
            "no Cycle_Index column", file=path, row=1, expected="a column 'Cycle_Index'"
        )
    out: dict[str, np.ndarray] = {}
    for canonical, source in CYCLES.items():
        if source in names:
            column = names[source]
            out[canonical] = _text.to_float(
                text.frame[column], file=path, column=column, first_row=text.first_row
            )
    for stamp in ("start_time", "end_time"):
        if stamp in names:
            out[f"{stamp}_unix_second"] = date_seconds(text.frame[names[stamp]])
    return Parsed(
        table=pd.DataFrame(out),
        warnings=tuple(text.warnings),
        metadata={"source": "batteryarchive.org cycle table", "rows": len(text.frame)},
    )
