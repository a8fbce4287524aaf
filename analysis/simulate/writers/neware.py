"""Neware BTSDA CSV export of a cycler trace (the record table, "Record" sheet as CSV).

Columns as BTSDA 7.x writes them (and as NewareNDA, fastnda and cellpy read them): ``DataPoint,
Cycle Index, Step Index, Step Type, Time, Cumulative Time, Current(A), Voltage(V), Capacity(Ah),
Chg. Cap.(Ah), DChg. Cap.(Ah), Energy(Wh), Chg. Energy(Wh), DChg. Energy(Wh), Date``. ``Time``
(step time) and the test time are clock texts ``HH:MM:SS.fff``; capacity and energy are unsigned
and restart at every step; the discharge current is negative. BTSDA 8.x writes the same table in
smaller units (``Current(uA)``, ``Voltage(mV)``, ``Capacity(mAs)``, ``Energy(mWs)``) and names
the test time ``Total Time``, as in fastnda's reference exports: ``units="bts8"``. Step types
``CC_Chg``, ``CC_DChg``, ``Rest``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from analysis.simulate.writers.rows import (
    CyclerRows,
    clock,
    integers,
    numbers,
    wall_clock,
    write_text,
)

#: (current, voltage, capacity, energy) unit names and factors from A, V, Ah, Wh.
_UNITS = {
    "bts7": (("A", 1.0), ("V", 1.0), ("Ah", 1.0), ("Wh", 1.0)),
    "bts7-milli": (("mA", 1e3), ("V", 1.0), ("mAh", 1e3), ("mWh", 1e3)),
    "bts8": (("uA", 1e6), ("mV", 1e3), ("mAs", 3.6e6), ("mWs", 3.6e6)),
}


def write_neware_csv(
    path: str | Path,
    rows: CyclerRows,
    *,
    units: Literal["bts7", "bts7-milli", "bts8"] = "bts7",
    encoding: str = "utf-8",
    decimal_comma: bool = False,
    bom: bool = False,
) -> Path:
    """Write ``rows`` as a Neware BTSDA CSV export (see the module docstring).

    ``decimal_comma``: as BTSDA on a German or French Windows writes it, ``;`` between fields and
    a comma in every number; ``bom``: a UTF-8 byte-order mark first ("CSV UTF-8" in Excel).
    """
    (iu, fi), (vu, fv), (qu, fq), (eu, fe) = _UNITS[units]
    direction = rows.step_direction
    step_type = np.where(direction > 0, "CC_Chg", np.where(direction < 0, "CC_DChg", "Rest"))
    q, e = rows.step_capacity_Ah, rows.step_energy_Wh
    columns = {
        "DataPoint": integers(np.arange(1, len(rows) + 1)),
        "Cycle Index": integers(rows.cycle),
        "Step Index": integers(rows.step_index),
        "Step Type": step_type,
        "Time": clock(rows.step_time_s),
        ("Total Time" if units == "bts8" else "Cumulative Time"): clock(rows.test_time_s),
        f"Current({iu})": numbers(rows.current_A * fi, 4 if fi > 1 else 7),
        f"Voltage({vu})": numbers(rows.voltage_V * fv, 4 if fv == 1 else 1),
        f"Capacity({qu})": numbers(q * fq, 7 if fq == 1 else 3),
        f"Chg. Cap.({qu})": numbers(np.where(direction > 0, q, 0.0) * fq, 7 if fq == 1 else 3),
        f"DChg. Cap.({qu})": numbers(np.where(direction < 0, q, 0.0) * fq, 7 if fq == 1 else 3),
        f"Energy({eu})": numbers(e * fe, 7 if fe == 1 else 3),
        f"Chg. Energy({eu})": numbers(np.where(direction > 0, e, 0.0) * fe, 7 if fe == 1 else 3),
        f"DChg. Energy({eu})": numbers(np.where(direction < 0, e, 0.0) * fe, 7 if fe == 1 else 3),
        "Date": wall_clock(rows.unix_time_s, "%Y-%m-%d %H:%M:%S"),
    }
    return write_text(
        path,
        columns,
        encoding=encoding,
        delimiter=";" if decimal_comma else ",",
        decimal_comma=decimal_comma,
        bom=bom,
    )
