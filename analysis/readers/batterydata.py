"""NREL batterydata.energy.gov raw time series CSV (as read by ROVI-org/battery-data-toolkit).

Format ``batterydata-csv``. Columns ``Time_s`` (s), ``Voltage_V``, ``Current_A`` (positive
charging), ``Cycle_Index``, ``Step``, ``Charge_Capacity_Ah``/``Discharge_Capacity_Ah`` and
``Charge_Energy_Wh``/``Discharge_Energy_Wh`` (cumulative as the source cycler counted them:
converted to cumulative within the step), ``Cell_Temperature_C`` and ``Datenum_d`` (MATLAB
datenum: days since year 0; converted to unix seconds). The per-cycle summary files of the same
site are not time series and are not recognised.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analysis.readers import _head, _text
from analysis.readers.base import Parsed, register
from analysis.readers.canonical import finish_cycling
from analysis.readers.generic_csv import convert_columns

MAPPING = {
    "test_time_second": "Time_s",
    "voltage_volt": "Voltage_V",
    "current_ampere": "Current_A",
    "cycle_count": "Cycle_Index",
    "step_index": "Step",
    "charging_capacity_ah": "Charge_Capacity_Ah",
    "discharging_capacity_ah": "Discharge_Capacity_Ah",
    "charging_energy_wh": "Charge_Energy_Wh",
    "discharging_energy_wh": "Discharge_Energy_Wh",
    "temperature_t1_celsius": "Cell_Temperature_C",
}
UNITS = {
    "test_time_second": "s",
    "voltage_volt": "V",
    "current_ampere": "A",
    "charging_capacity_ah": "Ah",
    "discharging_capacity_ah": "Ah",
    "charging_energy_wh": "Wh",
    "discharging_energy_wh": "Wh",
    "temperature_t1_celsius": "degC",
}
_MATLAB_UNIX_EPOCH_DAYS = 719529.0


def _sniff(name: str, head: bytes) -> bool:
    cells = set(head.split(b"\n", 1)[0].decode("latin-1").strip().split(","))
    return {"Time_s", "Voltage_V", "Current_A"} <= cells


@register(
    "batterydata-csv", kind="cycling", extensions=(".csv",), sniff=_sniff, version="1", priority=25
)
def read_batterydata(path: Path, **_: Any) -> Parsed:
    """NREL batterydata raw CSV."""
    _lines, encoding = _head.head_lines(path, 16 * 1024)
    text = _text.read_table(path, header_index=0, delimiter=",", encoding=encoding)
    present = {k: v for k, v in MAPPING.items() if v in text.frame.columns}
    table = convert_columns(text.frame, present, UNITS, file=path, first_row=text.first_row)
    if "Datenum_d" in text.frame.columns:
        days = _text.to_float(
            text.frame["Datenum_d"], file=path, column="Datenum_d", first_row=text.first_row
        )
        table["unix_time_second"] = (days - _MATLAB_UNIX_EPOCH_DAYS) * 86400.0
    return finish_cycling(table, file=path, warnings=text.warnings, first_row=text.first_row)
