"""BEEP's normalised raw CSV (TRI-AMDD/beep ``BEEPDatapath`` exports of Arbin/Maccor/... runs).

Format ``beep-csv``. Columns ``test_time`` (s), ``voltage`` (V), ``current`` (A, positive
charging), ``charge_capacity``/``discharge_capacity`` (Ah) and ``charge_energy``/
``discharge_energy`` (Wh) as the source cycler counted them (per step for Maccor, per cycle for
Arbin: converted to cumulative within the step), ``cycle_index``, ``step_index``,
``date_time_iso`` (UTC) and ``temperature`` (degC). BEEP keeps Maccor's test clock, which stops
while a test is paused; the pause is put back into the test time from ``date_time_iso`` by
:func:`finish_cycling`, with a warning (BEEP's own paused sample shows 7201 s).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analysis.readers import _head
from analysis.readers.base import Parsed, register
from analysis.readers.generic_csv import read_mapped

MAPPING = {
    "test_time_second": "test_time",
    "voltage_volt": "voltage",
    "current_ampere": "current",
    "unix_time_second": "date_time_iso",
    "step_time_second": "step_time",
    "cycle_count": "cycle_index",
    "step_index": "step_index",
    "charging_capacity_ah": "charge_capacity",
    "discharging_capacity_ah": "discharge_capacity",
    "charging_energy_wh": "charge_energy",
    "discharging_energy_wh": "discharge_energy",
    "temperature_t1_celsius": "temperature",
}
UNITS = {
    "test_time_second": "s",
    "step_time_second": "s",
    "voltage_volt": "V",
    "current_ampere": "A",
    "charging_capacity_ah": "Ah",
    "discharging_capacity_ah": "Ah",
    "charging_energy_wh": "Wh",
    "discharging_energy_wh": "Wh",
    "temperature_t1_celsius": "degC",
}


def _sniff(name: str, head: bytes) -> bool:
    cells = set(head.split(b"\n", 1)[0].decode("latin-1").strip().split(","))
    return {"test_time", "voltage", "current", "cycle_index", "charge_capacity"} <= cells


@register("beep-csv", kind="cycling", extensions=(".csv",), sniff=_sniff, version="1", priority=25)
def read_beep_csv(path: Path, **_: Any) -> Parsed:
    """BEEP normalised raw CSV."""
    _lines, encoding = _head.head_lines(path, 16 * 1024)
    return read_mapped(
        path, mapping=MAPPING, units=UNITS, header_index=0, delimiter=",", encoding=encoding
    )
