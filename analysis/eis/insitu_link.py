"""In-situ spectra of one file tagged from the DC run of another file of the same test.

A Gamry sequence (and an Autolab procedure) writes each technique to its own file: the
spectra (``.DTA``: ``Time``, ``Vdc``, ``Idc`` per point) and, separately, the cycling. Where a
spectrum sits in the DC run is then found by time: the EIS file's start (wall clock, from its
header) plus each point's time is placed on the cycling file's time axis (its wall clock,
``unix_time_second``, or its start plus ``test_time_second``), and each spectrum gets the same
tags as a spectrum of a mixed BioLogic file (:func:`analysis.readers._biologic_mixed.spectrum_states`,
docs/eis.md):

- ``half_cycle``: 1-based index of the half-cycle (a run of DC current of one sign; rests do
  not end it) of the last current-carrying DC row before the spectrum's first point; 0 when no
  current flowed before it;
- ``dc_state``: ``reduction`` (current < 0: BDF and EC-Lab sign, Li plating on the anode-less
  electrode of a half cell) or ``oxidation`` (> 0), ``rest`` before any current;
- ``half_cycle_charge_ah``: charge passed since that half-cycle began (Ah, >= 0): from the
  cycler's own charge and discharge counters where the cycling table has them (they count only
  the time the DC current flowed), else the DC current integrated over time (trapezoids) with
  the time of the spectra left out (during an impedance measurement no DC charge passes, and
  the cycling file has no row for it; the settling before and after a spectrum is still
  counted, so this fallback slightly over-counts);
- ``rest_second``: from the last current-carrying DC row to the spectrum (s);
- ``voltage_volt``: median of the EIS file's DC potential (``potential_volt``, Gamry's Vdc)
  over the spectrum, else the last DC voltage before it (V);
- ``cycle``: the cycling file's own cycle number (``cycle_count``) at the last DC row before
  the spectrum, else (half_cycle + 1) // 2.

A DC row carries current when |I| exceeds :data:`CURRENT_FRACTION` of the largest |I| of the
cycling table. Both clocks are the instruments' wall clocks without a time zone; they are
compared as written, so the two files must come from computers on the same clock (one lab PC,
as a sequence writes them). A spectrum outside the cycling run's time span (more than
:data:`TOLERANCE_S` before its first or after its last row) is not tagged, and the link says so.

The EIS file's start comes from its header (Gamry's DATE/TIME plus the OCV delay), or from the
user (the EIS pipeline's ``eis_start``, :func:`wall_clock_seconds`) for files that record none:
Autolab NOVA's ASCII export has a ``Time (s)`` column from the measurement's start but no date
and time anywhere in the file. A given start wins over the file's own (the link says when the
two differ).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.readers._biologic_mixed import CURRENT_FRACTION

#: how far (s) a spectrum may lie outside the cycling run and still be placed in it
TOLERANCE_S = 60.0


@dataclass(frozen=True)
class Link:
    """What the link did: the EIS table with the tags, which spectra were tagged and why not."""

    table: pd.DataFrame
    tagged: tuple[int, ...]
    untagged: tuple[int, ...]
    warnings: tuple[str, ...] = field(default=())

    def summary(self) -> dict[str, Any]:
        return {
            "tagged_spectra": list(self.tagged),
            "untagged_spectra": list(self.untagged),
            "warnings": list(self.warnings),
        }


def cycling_start_unix(
    cycling: pd.DataFrame, metadata: Mapping[str, Any] | None = None
) -> float | None:
    """Wall-clock time (s since 1970, as written) of the cycling table's ``test_time_second`` = 0:
    the median of ``unix_time_second - test_time_second`` (robust to a coarse clock column),
    else the reader's ``start_unix_time_second``; None when the file carries no wall clock."""
    if "unix_time_second" in cycling.columns:
        offset = cycling["unix_time_second"].to_numpy(np.float64) - cycling[
            "test_time_second"
        ].to_numpy(np.float64)
        offset = offset[np.isfinite(offset)]
        if offset.size:
            return float(np.median(offset))
    value = (metadata or {}).get("start_unix_time_second")
    return float(value) if isinstance(value, int | float) else None


def wall_clock_seconds(text: str) -> float:
    """A wall-clock time given as ISO 8601 without a time zone (``2024-03-04T10:15:00``, as the
    lab computer's clock shows it) in the readers' convention: seconds since 1970 of that clock
    as written (read as UTC, like the files' own dates). ``ValueError`` naming the problem for
    text that is not such a time, or that carries a time zone (the files' clocks have none, so
    an offset would shift the spectra against the cycling file)."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(
            f"expected a date and time as ISO 8601, e.g. 2024-03-04T10:15:00, found {text!r}"
        ) from exc
    if moment.tzinfo is not None:
        raise ValueError(
            f"give the time as the lab computer's clock shows it, without a time zone: {text!r}"
        )
    return moment.replace(tzinfo=dt.UTC).timestamp()


def eis_start_unix(
    metadata: Mapping[str, Any],
    eis: pd.DataFrame,
    cycling: pd.DataFrame,
    cycling_start: float,
    given: str | None = None,
) -> tuple[float | None, str]:
    """The EIS file's start (wall clock of its ``time_second`` = 0) and how it was found:
    ``given`` (the user's ``eis_start``, :func:`wall_clock_seconds`) when set, else the
    reader's ``start_unix_time_second``, or of its ``start_unix_time_candidates`` (a date
    whose day and month read both ways) the only one that places every spectrum within the
    cycling run; None with the reason otherwise."""
    value = metadata.get("start_unix_time_second")
    if given:
        start = wall_clock_seconds(given)
        how = f"the start time given for the EIS file (eis_start {given})"
        if isinstance(value, int | float) and abs(float(value) - start) > 1.0:
            how += f"; the file's own start differs by {float(value) - start:+.0f} s"
        return start, how
    if isinstance(value, int | float):
        return float(value), "the EIS file's start time"
    candidates = [float(c) for c in metadata.get("start_unix_time_candidates") or []]
    if not candidates:
        return None, "the EIS file records no start date and time"
    if "time_second" not in eis.columns or cycling.empty:
        return None, "no times to place the spectra"
    t = eis["time_second"].to_numpy(np.float64)
    t_dc = cycling["test_time_second"].to_numpy(np.float64)
    fits = [
        c
        for c in candidates
        if t_dc[0] - TOLERANCE_S <= np.nanmin(t) + c - cycling_start
        and np.nanmax(t) + c - cycling_start <= t_dc[-1] + TOLERANCE_S
    ]
    if len(fits) == 1:
        return fits[0], "the EIS file's start date, read day/month or month/day as fits the run"
    return None, (
        f"the EIS file's date reads two ways and {'both' if fits else 'neither'} place the "
        "spectra within the cycling run"
    )


def link_spectra(
    eis: pd.DataFrame,
    eis_start_unix: float,
    cycling: pd.DataFrame,
    cycling_start_unix: float,
) -> Link:
    """Tag each spectrum of ``eis`` (a reader's EIS table with ``time_second`` from
    ``eis_start_unix``) from the DC run of ``cycling`` (a canonical cycling table whose
    ``test_time_second`` = 0 is ``cycling_start_unix``); see the module docstring."""
    if "time_second" not in eis.columns:
        raise ValueError("the EIS table has no time_second column: its spectra cannot be placed")
    shift = eis_start_unix - cycling_start_unix  # EIS time -> cycling time
    t_dc = cycling["test_time_second"].to_numpy(np.float64)
    current = np.nan_to_num(cycling["current_ampere"].to_numpy(np.float64))
    volts = cycling["voltage_volt"].to_numpy(np.float64)
    t_eis = eis["time_second"].to_numpy(np.float64) + shift
    number = eis["spectrum"].to_numpy()
    spectra = list(dict.fromkeys(number.tolist()))
    windows = [
        (float(np.nanmin(t_eis[number == s])), float(np.nanmax(t_eis[number == s])))
        for s in spectra
    ]
    charge = _counter_charge_ah(cycling)
    if charge is None:
        charge = _charge_ah(t_dc, current, windows)
    peak = float(np.max(np.abs(current))) if current.size else 0.0
    flowing = (
        np.abs(current) > CURRENT_FRACTION * peak if peak > 0 else np.zeros(current.size, bool)
    )
    sign = np.sign(current)
    carrying = np.flatnonzero(flowing)
    hc = np.zeros(t_dc.size, dtype=np.int64)
    starts = np.zeros(t_dc.size, dtype=np.int64)
    if carrying.size:
        change = np.r_[True, sign[carrying][1:] != sign[carrying][:-1]]
        ids = np.cumsum(change)
        hc[carrying] = ids
        starts[carrying] = carrying[change][ids - 1]
    cycles = cycling["cycle_count"].to_numpy(np.float64) if "cycle_count" in cycling else None
    potential = eis["potential_volt"].to_numpy(np.float64) if "potential_volt" in eis else None
    rows, tagged, untagged = [], [], []
    lo, hi = (float(t_dc[0]), float(t_dc[-1])) if t_dc.size else (np.inf, -np.inf)
    for s, (first, last) in zip(spectra, windows, strict=True):
        if not (lo - TOLERANCE_S <= first and last <= hi + TOLERANCE_S):
            untagged.append(s)
            continue
        before = carrying[t_dc[carrying] < first]
        n_dc = int(np.searchsorted(t_dc, first, side="left"))
        if before.size == 0:
            half, state, q, rest = 0, "rest", 0.0, float("nan")
        else:
            last_row = int(before[-1])
            begin = int(starts[last_row])
            half = int(hc[last_row])
            state = "reduction" if sign[last_row] < 0 else "oxidation"
            q = abs(float(charge[last_row] - (charge[begin - 1] if begin > 0 else 0.0)))
            rest = float(first - t_dc[last_row])
        own = potential[number == s] if potential is not None else np.array([np.nan])
        voltage = (
            float(np.nanmedian(own))
            if np.isfinite(own).any()
            else (float(volts[n_dc - 1]) if n_dc > 0 else float("nan"))
        )
        rows.append(
            {
                "spectrum": s,
                "half_cycle": half,
                "dc_state": state,
                "half_cycle_charge_ah": q,
                "rest_second": rest,
                "voltage_volt": voltage,
                "cycle": _cycle(cycles, n_dc, half),
            }
        )
        tagged.append(s)
    warnings = []
    if untagged:
        warnings.append(
            f"{len(untagged)} spectrum(s) lie outside the cycling run's time "
            f"({lo:.0f}-{hi:.0f} s on its clock) and are not tagged: {untagged}"
        )
    tags = pd.DataFrame(
        rows,
        columns=[
            "spectrum",
            "half_cycle",
            "dc_state",
            "half_cycle_charge_ah",
            "rest_second",
            "voltage_volt",
            "cycle",
        ],
    )
    base = eis.drop(columns=[c for c in tags.columns if c != "spectrum" and c in eis.columns])
    table = base.merge(tags, on="spectrum", how="left", sort=False)
    table.index = eis.index
    return Link(table, tuple(tagged), tuple(untagged), tuple(warnings))


def _cycle(cycles: np.ndarray | None, n_dc: int, half: int) -> int:
    """The cycling file's own cycle number at the last DC row before the spectrum, else
    (half_cycle + 1) // 2."""
    if cycles is not None and n_dc > 0 and np.isfinite(cycles[n_dc - 1]):
        return int(cycles[n_dc - 1])
    return (half + 1) // 2


def _counter_charge_ah(cycling: pd.DataFrame) -> np.ndarray | None:
    """Net charge (Ah, signed: charging positive) at each row from the cycler's own counters
    (``charging_capacity_ah`` - ``discharging_capacity_ah``, cumulative within the step as the
    canonical table keeps them, summed over the steps before); None without them."""
    needed = ("charging_capacity_ah", "discharging_capacity_ah", "step_count")
    if any(c not in cycling.columns for c in needed):
        return None
    within = np.nan_to_num(
        cycling["charging_capacity_ah"].to_numpy(np.float64)
        - cycling["discharging_capacity_ah"].to_numpy(np.float64)
    )
    step = cycling["step_count"].to_numpy()
    last_of_step = np.r_[step[1:] != step[:-1], True]
    ended = np.where(last_of_step, within, 0.0)
    before = np.r_[0.0, np.cumsum(ended)[:-1]]  # steps finished before each row
    return np.asarray(before + within)


def _charge_ah(
    t: np.ndarray, current_a: np.ndarray, windows: list[tuple[float, float]]
) -> np.ndarray:
    """Net charge (Ah, signed) at each DC row: trapezoids of the current over time, each
    interval shortened by the time the spectra (``windows``, s) took within it."""
    if t.size < 2:
        return np.zeros(t.size)
    a, b = t[:-1], t[1:]
    dt = b - a
    for first, last in windows:
        dt = dt - np.clip(np.minimum(b, last) - np.maximum(a, first), 0.0, None)
    dq = 0.5 * (current_a[1:] + current_a[:-1]) * np.maximum(dt, 0.0) / 3600.0
    return np.asarray(np.r_[0.0, np.cumsum(dq)])
