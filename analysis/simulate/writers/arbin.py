"""Arbin MITS Pro CSV export of a cycler trace."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from analysis.simulate._trace import CyclerTrace
from analysis.simulate.writers.counters import _step_table

ARBIN_COLUMNS = (
    "Data_Point",
    "Test_Time(s)",
    "Date_Time",
    "Step_Time(s)",
    "Step_Index",
    "Cycle_Index",
    "Current(A)",
    "Voltage(V)",
    "Charge_Capacity(Ah)",
    "Discharge_Capacity(Ah)",
    "Charge_Energy(Wh)",
    "Discharge_Energy(Wh)",
    "dV/dt(V/s)",
    "Internal_Resistance(Ohm)",
)


def write_arbin_csv(path: str | Path, trace: CyclerTrace, started: dt.datetime) -> Path:
    """Write ``trace`` as an Arbin MITS Pro CSV export (columns :data:`ARBIN_COLUMNS`)."""
    s = _step_table(trace)
    t = np.asarray(s["time_s"], dtype=np.float64)
    first = np.asarray(s["first"], dtype=bool)
    step_start_t = t[first][np.cumsum(first) - 1]
    v = np.asarray(s["voltage_V"], dtype=np.float64)
    dv = np.diff(v, prepend=v[0])
    dtt = np.diff(t, prepend=t[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        dvdt = np.where(dtt > 0, dv / dtt, 0.0)
    base = np.datetime64(started.replace(tzinfo=None), "ms")
    stamps = base + np.round(t * 1000.0).astype("timedelta64[ms]")
    dates = np.datetime_as_string(stamps, unit="ms")
    lines = [",".join(ARBIN_COLUMNS)]
    fmt = "%d,%.4f,%s,%.4f,%d,%d,%.9g,%.7g,%.9g,%.9g,%.9g,%.9g,%.6g,%d"
    columns = [
        np.arange(1, t.size + 1).tolist(),
        t.tolist(),
        [d.replace("T", " ") for d in dates.tolist()],
        (t - step_start_t).tolist(),
        np.asarray(s["step"], dtype=np.int64).tolist(),
        np.asarray(s["cycle"], dtype=np.int64).tolist(),
        (np.asarray(s["current_mA"], dtype=np.float64) / 1000.0).tolist(),
        v.tolist(),
        (np.asarray(s["q_charge"], dtype=np.float64) / 1000.0).tolist(),
        (np.asarray(s["q_discharge"], dtype=np.float64) / 1000.0).tolist(),
        np.asarray(s["e_charge"], dtype=np.float64).tolist(),
        np.asarray(s["e_discharge"], dtype=np.float64).tolist(),
        dvdt.tolist(),
        [0] * t.size,
    ]
    lines += [fmt % row for row in zip(*columns, strict=True)]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("ascii"))
    return path
