"""The columns of a voltammogram and its sweeps.

Two tables are accepted wherever a table is taken: the ``cv`` table of
:mod:`analysis.readers.cv_csv` (``potential_V``, ``current_A``, optional ``time_s`` and
``cycle``) and the ``cycling`` table the BioLogic and other cycler readers produce
(``voltage_volt``, ``current_ampere``, ``test_time_second``, optional ``cycle_count``).
Current is positive anodic (oxidation, delithiation of the working electrode) and negative
cathodic (reduction: lithium alloying and plating on an anode-less electrode).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
Direction = Literal["cathodic", "anodic"]

_ALIASES = {
    "potential": ("potential_V", "voltage_volt"),
    "current": ("current_A", "current_ampere"),
    "time": ("time_s", "test_time_second"),
    "cycle": ("cycle", "cycle_count", "cycle_number"),
}


@dataclass(frozen=True)
class CVData:
    """The columns a voltammetry analysis needs, in V, A and s, whatever table they came from."""

    potential_V: FloatArray
    current_A: FloatArray
    time_s: FloatArray | None
    cycle: npt.NDArray[np.int64] | None


def cv_data(table: pd.DataFrame) -> CVData:
    """Pick potential, current, time and cycle from a ``cv`` or ``cycling`` table.

    Raises ``ValueError`` naming the columns it looked for when one is missing.
    """

    def pick(role: str, required: bool) -> pd.Series | None:
        for name in _ALIASES[role]:
            if name in table.columns:
                return table[name]
        if required:
            raise ValueError(
                f"the table has no {role} column: expected one of {', '.join(_ALIASES[role])}, "
                f"found {', '.join(map(str, table.columns))}"
            )
        return None

    potential = pick("potential", True)
    current = pick("current", True)
    time = pick("time", False)
    cycle = pick("cycle", False)
    assert potential is not None and current is not None
    cyc = None
    if cycle is not None and cycle.notna().all():
        cyc = cycle.to_numpy(dtype="int64")
    return CVData(
        potential_V=potential.to_numpy(dtype=float),
        current_A=current.to_numpy(dtype=float),
        time_s=None if time is None else time.to_numpy(dtype=float),
        cycle=cyc,
    )


@dataclass(frozen=True)
class Sweep:
    """One monotonic potential sweep, points ``start..stop`` inclusive (indices in the record)."""

    start: int
    stop: int
    direction: Direction


def sweeps(potential_V: npt.ArrayLike, *, hysteresis_V: float = 0.005) -> tuple[Sweep, ...]:
    """Split a CV record into sweeps at its vertices.

    A vertex is the extreme potential after which the potential has moved back by more than
    ``hysteresis_V`` (default 5 mV), so noise does not split a sweep. Sweeps towards lower
    potential are cathodic, towards higher potential anodic.
    """
    e = np.asarray(potential_V, dtype=float)
    n = len(e)
    cuts: list[int] = [0]
    dirs: list[int] = []
    direction, hi, lo, ext = 0, 0, 0, 0
    for i in range(1, n):
        if direction == 0:
            hi = i if e[i] > e[hi] else hi
            lo = i if e[i] < e[lo] else lo
            if e[hi] - e[lo] > hysteresis_V:
                direction = 1 if hi > lo else -1
                ext = hi if direction == 1 else lo
        elif direction * (e[i] - e[ext]) >= 0:
            ext = i
        elif abs(e[ext] - e[i]) > hysteresis_V:
            cuts.append(ext)
            dirs.append(direction)
            direction, ext = -direction, i
    if direction == 0:
        return ()
    cuts.append(n - 1)
    dirs.append(direction)
    return tuple(
        Sweep(a, b, "anodic" if d > 0 else "cathodic")
        for a, b, d in zip(cuts[:-1], cuts[1:], dirs, strict=True)
        if b > a
    )


def moving_average(y: FloatArray, points: int) -> FloatArray:
    """``points``-point centred moving average (edges: nearest value)."""
    if points <= 1:
        return y
    from scipy.ndimage import uniform_filter1d

    return np.asarray(uniform_filter1d(y, size=points, mode="nearest"), dtype=float)
