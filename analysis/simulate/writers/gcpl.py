"""EC-Lab ASCII export of a GCPL run (Galvanostatic Cycling with Potential Limitation)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from analysis.simulate._trace import CyclerTrace
from analysis.simulate.writers.counters import _step_table
from analysis.simulate.writers.eclab import (
    InstrumentInfo,
    _mpt_header,
    _rows,
    _settings_table,
    _write_mpt,
)

#: Galvanostatic columns, in EC-Lab's order, that GCPL exports (and the
#: galvanostatic rows of Modulo Bat exports) begin with.
GALVANO_COLUMNS = (
    "mode",
    "ox/red",
    "error",
    "control changes",
    "Ns changes",
    "counter inc.",
    "Ns",
    "time/s",
    "control/V/mA",
    "Ewe/V",
    "I/mA",
    "dQ/C",
    "(Q-Qo)/mA.h",
    "half cycle",
)

GCPL_COLUMNS = (
    *GALVANO_COLUMNS,
    "Q charge/discharge/mA.h",
    "Energy charge/W.h",
    "Energy discharge/W.h",
    "Capacitance charge/µF",
    "Capacitance discharge/µF",
    "Q discharge/mA.h",
    "Q charge/mA.h",
    "Capacity/mA.h",
    "Efficiency/%",
    "cycle number",
    "P/W",
)


def _galvano_columns(
    s: Mapping[str, npt.NDArray[np.generic]],
) -> dict[str, npt.NDArray[np.generic]]:
    """The :data:`GALVANO_COLUMNS` of every row of a step table (the per-row counters of
    :mod:`~analysis.simulate.writers.counters`)."""
    current = np.asarray(s["current_mA"], dtype=np.float64)
    voltage = np.asarray(s["voltage_V"], dtype=np.float64)
    return {
        "mode": s["mode"],
        "ox/red": (current > 0).astype(np.int64),
        "error": np.zeros(current.size, dtype=np.int64),
        "control changes": s["first"].astype(np.int64),
        "Ns changes": s["first"].astype(np.int64),
        "counter inc.": s["cycle_start"].astype(np.int64),
        "Ns": s["step"],
        "time/s": s["time_s"],
        "control/V/mA": s["control"],
        "Ewe/V": voltage,
        "I/mA": current,
        "dQ/C": np.asarray(s["step_q"], dtype=np.float64) * 3.6,
        "(Q-Qo)/mA.h": s["charge_mAh"],
        "half cycle": s["half_cycle"],
    }


def write_gcpl_mpt(
    path: str | Path,
    trace: CyclerTrace,
    info: InstrumentInfo,
    *,
    settings: Sequence[tuple[str, Sequence[str]]],
) -> Path:
    """Write ``trace`` as an EC-Lab GCPL text export (``settings``: the Ns parameter table)."""
    s = _step_table(trace)
    current = np.asarray(s["current_mA"], dtype=np.float64)
    voltage = np.asarray(s["voltage_V"], dtype=np.float64)
    q_charge = np.asarray(s["q_charge"], dtype=np.float64)
    q_dis = np.asarray(s["q_discharge"], dtype=np.float64)
    half_q = np.asarray(s["half_q"], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        efficiency = np.where(q_dis > 0, 100.0 * q_charge / q_dis, 0.0)
    data: dict[str, npt.NDArray[np.generic]] = {
        **_galvano_columns(s),
        "Q charge/discharge/mA.h": half_q,
        "Energy charge/W.h": s["e_charge"],
        "Energy discharge/W.h": s["e_discharge"],
        "Capacitance charge/µF": np.zeros(current.size),
        "Capacitance discharge/µF": np.zeros(current.size),
        "Q discharge/mA.h": q_dis,
        "Q charge/mA.h": q_charge,
        "Capacity/mA.h": np.abs(half_q),
        "Efficiency/%": efficiency,
        "cycle number": s["cycle"].astype(np.float64),
        "P/W": voltage * current / 1000.0,
    }
    header = _mpt_header(
        "Galvanostatic Cycling with Potential Limitation",
        info,
        ["Do not turn to OCV between techniques", *_settings_table(settings)],
    )
    return _write_mpt(Path(path), header, GCPL_COLUMNS, _rows(GCPL_COLUMNS, data))
