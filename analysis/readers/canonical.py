"""The canonical cycling table, and the one function every cycling reader ends with.

Columns are the Battery Data Format (BDF) machine-readable names, in SI units, all float64:

=========================  =====================================================================
``test_time_second``       time since the start of the test, s (required)
``voltage_volt``           cell voltage, V (required)
``current_ampere``         current, A; positive charges the test object (BDF) (required)
``unix_time_second``       wall-clock time, s since 1970-01-01 UTC
``step_time_second``       time since the start of the step, s
``cycle_count``            the vendor's cycle number (kept, not trusted: see analysis.cycling)
``step_count``             running number of the step instance (increments at every new step)
``step_index``             the step's number in the vendor's schedule/procedure
``charging_capacity_ah``   charge passed while charging, cumulative within the step, Ah
``discharging_capacity_ah``  charge passed while discharging, cumulative within the step, Ah
``charging_energy_wh``     energy while charging, cumulative within the step, Wh
``discharging_energy_wh``  energy while discharging, cumulative within the step, Wh
``temperature_t1_celsius``  first cell temperature probe, degC (BDF's "Temperature T1 / degC")
``interrupted_before``     labdb's own (no BDF name): 1 where another technique ran between the
                           previous row and this one (the impedance loops of a mixed BioLogic
                           run), so that interval is not cycling time and its current is not
                           integrated; 0 elsewhere. Only tables from such files have it.
=========================  =====================================================================

Vendors count capacity per step (Neware, Maccor, BioLogic half cycles), per cycle (Arbin) or per
test; :func:`finish_cycling` makes every counter cumulative within the step: at a step boundary
the counter's last value of the previous step is subtracted, unless the counter restarted there.

Repair or refusal, never silence (each repair is a warning in ``Parsed.warnings``):

- a missing required column: :class:`ParseError`;
- a truncated last row (empty required values where the row before is complete): dropped;
- NaN/Inf in a required column: runs of up to :data:`MAX_INTERPOLATED_RUN` rows between finite
  neighbours are linearly interpolated; longer runs are refused;
- NaN/Inf in an optional column: interpolated likewise, else the column is dropped;
- time going backwards (Neware's Total Time reset): each backward jump is closed so that the
  time continues with the typical sampling interval (or the wall-clock interval when known);
- gaps longer than ``gap_limit_s`` (default 1 h): kept in the time column (the test really
  paused) and listed in ``metadata["time_gaps"]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from analysis.readers._text import to_float
from analysis.readers.base import Parsed, ParseError

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

FloatArray = npt.NDArray[np.float64]

REQUIRED = ("test_time_second", "voltage_volt", "current_ampere")
OPTIONAL = (
    "unix_time_second",
    "step_time_second",
    "cycle_count",
    "step_count",
    "step_index",
    "charging_capacity_ah",
    "discharging_capacity_ah",
    "charging_energy_wh",
    "discharging_energy_wh",
    "temperature_t1_celsius",
    "interrupted_before",
)
COLUMNS = REQUIRED + OPTIONAL
#: Unit of each canonical column (the suffix of its BDF machine name; "1" for counts).
UNITS = {
    "test_time_second": "s",
    "unix_time_second": "s",
    "step_time_second": "s",
    "voltage_volt": "V",
    "current_ampere": "A",
    "charging_capacity_ah": "Ah",
    "discharging_capacity_ah": "Ah",
    "charging_energy_wh": "Wh",
    "discharging_energy_wh": "Wh",
    "temperature_t1_celsius": "degC",
    "cycle_count": "1",
    "step_count": "1",
    "step_index": "1",
    "interrupted_before": "1",
}
COUNTERS = (
    "charging_capacity_ah",
    "discharging_capacity_ah",
    "charging_energy_wh",
    "discharging_energy_wh",
)
_INTEGER_LIKE = ("cycle_count", "step_count", "step_index")

#: Longest run of consecutive NaN/Inf rows that is interpolated rather than refused.
MAX_INTERPOLATED_RUN = 3
#: A pause in the time column longer than this is reported (seconds).
GAP_LIMIT_S = 3600.0

CounterStyle = Literal["step", "cumulative", "auto"]


def finish_cycling(
    table: pd.DataFrame | Mapping[str, FloatArray],
    *,
    file: str | Path,
    counters: CounterStyle = "cumulative",
    warnings: Iterable[str] = (),
    metadata: Mapping[str, Any] | None = None,
    first_row: int = 1,
    gap_limit_s: float = GAP_LIMIT_S,
) -> Parsed:
    """Validate, repair and normalise a cycling table already in canonical names and SI units.

    ``first_row`` is the file's row number (1-based) of the table's first row, so that errors
    point at the row the user sees. ``counters`` says how the vendor counts capacity/energy:
    ``"step"`` (restarts every step) or ``"cumulative"`` (per cycle or per test; converted),
    or ``"auto"`` for formats that do not say (BDF): see :func:`counted_per_step`.

    ``table`` may be a DataFrame or the columns as arrays (``{name: float64 array}``): readers
    build the latter, because each column set on a DataFrame is copied (pandas 3) and a
    DataFrame built from arrays is copied into one block unless told not to.
    """
    notes = list(warnings)
    meta: dict[str, Any] = dict(metadata or {})
    names = list(table.columns) if isinstance(table, pd.DataFrame) else list(table)
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise ParseError(
            "a required column is missing",
            file=file,
            column=missing[0],
            expected=f"columns {', '.join(REQUIRED)}",
            found=", ".join(map(str, names)),
        )
    # The table is handled as one float64 array per column (views, not copies, wherever
    # nothing is repaired) and becomes a DataFrame once, at the end, without another copy.
    out: dict[str, FloatArray] = {
        # Readers hand float columns (converted by _text.to_float, naming the source column);
        # a table built otherwise is held to the same rule here.
        c: to_float(table[c], file=file, column=c, first_row=first_row)
        for c in COLUMNS
        if c in names
    }
    if len(out["test_time_second"]) == 0:
        raise ParseError("the file holds no data rows", file=file, expected="at least one row")
    out = _drop_empty_tail(out, first_row, notes)
    out = _drop_truncated_last_row(out, file, first_row, notes)
    for col in list(out):
        _repair_nonfinite(out, col, file, first_row, notes)
    _repair_time(out, file, first_row, notes, meta, gap_limit_s)
    if not any(c in out for c in ("step_count", "step_index")) and any(c in out for c in COUNTERS):
        notes.append("no step column in the file: steps derived from changes of the current's sign")
    first = np.flatnonzero(_step_starts(out))
    n = len(out["test_time_second"])
    if "step_count" not in out:
        out["step_count"] = np.repeat(
            np.arange(1, first.size + 1, dtype=np.float64), np.diff(np.append(first, n))
        )
    if counters == "auto":
        counters = "step" if counted_per_step(out, first) else "cumulative"
        meta["counters"] = counters
    if counters == "cumulative":
        for col in COUNTERS:
            if col in out:
                out[col] = _per_step(out[col], first)
    meta.setdefault("rows", n)
    frame = pd.DataFrame({c: out[c] for c in COLUMNS if c in out}, copy=False)
    return Parsed(table=frame, warnings=tuple(notes), metadata=meta)


def counted_per_step(columns: Mapping[str, FloatArray], first: npt.NDArray[np.intp]) -> bool:
    """Whether every counter present restarts at the steps (starting at ``first`` rows): at most
    of the step starts where the counter held charge, it went down. A counter kept per cycle
    or per test carries on at most of them (it restarts only at a cycle's first step). A table
    with no such step start is left as it is either way (the baseline would be 0)."""
    for col in COUNTERS:
        if col not in columns or len(first) < 2:
            continue
        values = columns[col]
        previous, starting = values[first[1:] - 1], values[first[1:]]
        held = previous > 0
        if held.any() and np.count_nonzero(starting[held] < previous[held]) * 2 < held.sum():
            return False
    return True


def step_starts(table: pd.DataFrame | Mapping[str, FloatArray]) -> npt.NDArray[np.bool_]:
    """True on the first row of every step (from step_count, step_index + cycle, or current sign)."""
    if isinstance(table, pd.DataFrame):
        return _step_starts({c: table[c].to_numpy() for c in table.columns})
    return _step_starts(table)


def _step_starts(columns: Mapping[str, FloatArray]) -> npt.NDArray[np.bool_]:
    n = len(columns["current_ampere"])
    starts = np.zeros(n, dtype=bool)
    if n == 0:
        return starts
    starts[0] = True
    keys = [c for c in ("step_count",) if c in columns] or [
        c for c in ("step_index", "cycle_count") if c in columns
    ]
    if keys:
        for key in keys:
            values = columns[key]
            starts[1:] |= values[1:] != values[:-1]
    else:
        state = current_state(columns["current_ampere"])
        starts[1:] |= state[1:] != state[:-1]
    return starts


def current_state(current: FloatArray, *, rel_tol: float = 1e-3) -> npt.NDArray[np.int8]:
    """+1 charging, -1 discharging, 0 rest; currents below ``rel_tol`` x max |I| count as rest."""
    limit = rel_tol * float(np.nanmax(np.abs(current))) if len(current) else 0.0
    state = np.zeros(len(current), dtype=np.int8)
    state[current > limit] = 1
    state[current < -limit] = -1
    return state


def per_step(counter: FloatArray, starts: npt.NDArray[np.bool_]) -> FloatArray:
    """A vendor counter made cumulative within each step.

    At every step start the baseline is the counter's last value in the previous step, unless
    the counter went down there (the vendor restarted it), in which case the baseline is 0. The
    first step's baseline is 0: the counter's own zero.
    """
    counter = np.asarray(counter, dtype=np.float64)
    starts = np.asarray(starts, dtype=bool)
    idx = np.flatnonzero(starts)
    if len(starts) and starts[0]:
        return _per_step(counter, idx)
    step_of_row = np.cumsum(starts) - 1
    return np.asarray(counter - _step_bases(counter, idx)[step_of_row], dtype=np.float64)


def _step_bases(counter: FloatArray, idx: npt.NDArray[np.intp]) -> FloatArray:
    """The baseline of each step starting at the rows ``idx`` (see :func:`per_step`)."""
    base_at_start = np.zeros(len(idx))
    if len(idx) > 1:
        prev = counter[idx[1:] - 1]
        first = counter[idx[1:]]
        restarted = first < prev - 1e-12 * np.maximum(np.abs(prev), 1.0)
        base_at_start[1:] = np.where(restarted, 0.0, prev)
    return base_at_start


def _per_step(counter: FloatArray, idx: npt.NDArray[np.intp]) -> FloatArray:
    """:func:`per_step` given the step starts' rows ``idx``, the first being row 0."""
    counter = np.asarray(counter, dtype=np.float64)
    base_at_start = _step_bases(counter, idx)
    if not base_at_start.any():
        return counter.copy()
    # Rows are contiguous per step: np.repeat spreads the baselines more cheaply than
    # indexing by every row's step number.
    lengths = np.diff(np.append(idx, len(counter)))
    base = np.repeat(base_at_start, lengths)
    return np.subtract(counter, base, out=base)


def step_signs(current: FloatArray, starts: npt.NDArray[np.bool_]) -> FloatArray:
    """Every row's step direction: the sign (+1, -1 or 0) of its step's summed current."""
    step_id = np.cumsum(starts) - 1
    total = np.bincount(step_id, weights=np.nan_to_num(current))
    signs: FloatArray = np.sign(total)[step_id]
    return signs


def split_by_direction(
    magnitude: FloatArray,
    current: FloatArray,
    starts: npt.NDArray[np.bool_],
    *,
    signs: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Split an unsigned per-step counter into (charging, discharging) by each step's current sign.

    For vendors that log one capacity/energy counter whose direction is the step's (Neware,
    Maccor, Novonix). A step's direction is the sign of its summed current (``signs``: the
    rows' :func:`step_signs`, when the caller splits more than one counter).
    """
    sign = step_signs(current, starts) if signs is None else signs
    mag = np.abs(np.asarray(magnitude, dtype=np.float64))
    return np.where(sign > 0, mag, 0.0), np.where(sign < 0, mag, 0.0)


def _drop_empty_tail(
    out: dict[str, FloatArray], first_row: int, notes: list[str]
) -> dict[str, FloatArray]:
    n = len(out["test_time_second"])
    if n and any(np.isfinite(values[-1]) for values in out.values()):
        return out  # the last row has a value: nothing to drop
    # The last row with any finite value, column by column (no 2-D copy of the table).
    keep = 0
    for values in out.values():
        finite = np.isfinite(values[keep:])
        if finite.any():
            keep += len(finite) - int(np.argmax(finite[::-1]))
    if keep < n:
        notes.append(
            f"rows {first_row + keep}-{first_row + n - 1}: "
            f"{n - keep} empty row(s) at the end of the table dropped"
        )
        return {c: values[:keep] for c, values in out.items()}
    return out


def _drop_truncated_last_row(
    out: dict[str, FloatArray], file: str | Path, first_row: int, notes: list[str]
) -> dict[str, FloatArray]:
    n = len(out["test_time_second"])
    if n < 2:
        return out
    bad = [c for c, v in out.items() if not np.isfinite(v[-1]) and np.isfinite(v[-2])]
    if any(c in REQUIRED for c in bad):
        row = first_row + n - 1
        notes.append(
            f"row {row}: the last row is truncated (no value for {', '.join(bad)}); dropped"
        )
        return {c: values[:-1] for c, values in out.items()}
    return out


def _runs(mask: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Start and (exclusive) end indices of the runs of True in ``mask``."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.diff(padded)
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _repair_nonfinite(
    out: dict[str, FloatArray], col: str, file: str | Path, first_row: int, notes: list[str]
) -> None:
    values = out[col]
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(values)):  # one pass, no temporary: all finite
            return
    bad = ~np.isfinite(values)
    if not bad.any():
        return
    n = len(values)
    if bad.all():
        if col in REQUIRED:
            raise ParseError(
                "the column holds no numbers",
                file=file,
                row=first_row,
                column=col,
                expected="finite numbers",
                found=str(values[0]),
            )
        notes.append(f"column {col} is empty in the file; dropped")
        del out[col]
        return
    starts, ends = _runs(bad)
    ok = (ends - starts <= MAX_INTERPOLATED_RUN) & (starts > 0) & (ends < n)
    if col in _INTEGER_LIKE:
        ok = ok | (starts == 0) | (ends == n)
    if not ok.all():
        first = int(starts[~ok][0])
        if col in REQUIRED:
            raise ParseError(
                f"{int(bad.sum())} non-finite values, {int(ends[~ok][0] - first)} in a row here",
                file=file,
                row=first_row + first,
                column=col,
                expected=f"finite numbers (runs of at most {MAX_INTERPOLATED_RUN} are interpolated)",
                found=str(values[first]),
            )
        notes.append(
            f"row {first_row + first}: column {col} has {int(bad.sum())} missing or non-finite "
            "values that cannot be interpolated; column dropped"
        )
        del out[col]
        return
    rows = np.flatnonzero(bad)
    shown = ", ".join(str(first_row + r) for r in rows[:10]) + (" ..." if len(rows) > 10 else "")
    if col in _INTEGER_LIKE:
        out[col] = np.asarray(pd.Series(values).ffill().bfill(), dtype=np.float64).copy()
        how = "filled from the previous row"
    else:
        good = np.flatnonzero(~bad)
        values = values.copy()
        values[rows] = np.interp(rows, good, values[good])
        out[col] = values
        how = "linearly interpolated"
    notes.append(f"column {col}: {len(rows)} NaN/Inf value(s) {how} (rows {shown})")


def _repair_time(
    out: dict[str, FloatArray],
    file: str | Path,
    first_row: int,
    notes: list[str],
    meta: dict[str, Any],
    gap_limit_s: float,
) -> None:
    t = out["test_time_second"]
    # The time's steps and where it goes backwards (t is finite: the same rows as t[i] <
    # t[i - 1]), computed once and again only where t is changed: each is a pass over the rows.
    dt = np.diff(t)
    back = np.flatnonzero(dt < 0)
    # A single row whose time drops while the next row is back on the old clock (Neware writes
    # 0 on the first row of a step): the row takes its predecessor's time.
    if len(t) > 2:
        drops = back[back < len(t) - 2] + 1  # rows 1..n-2 below their predecessor
        glitch = drops[t[drops + 1] >= t[drops - 1]]
        if len(glitch):
            t = t.copy()
            notes.append(
                f"row {first_row + int(glitch[0])}: {len(glitch)} isolated row(s) with a test time "
                "below the previous row's (a time reset at a step start); set to the previous time"
            )
            t[glitch] = t[glitch - 1]
            out["test_time_second"] = t
            meta["time_glitches"] = len(glitch)
            dt = np.diff(t)
            back = np.flatnonzero(dt < 0)
    if "unix_time_second" in out and len(t) > 1:
        # Cyclers (Maccor) stop their test clock while a test is paused; the wall clock does not.
        extra = np.diff(out["unix_time_second"])
        extra -= dt
        paused = np.flatnonzero(extra > gap_limit_s)
        if len(paused):
            add = np.zeros(len(t))
            add[paused + 1] = extra[paused]
            t = t + np.cumsum(add)
            out["test_time_second"] = t
            dt = np.diff(t)
            back = np.flatnonzero(dt < 0)
            meta["pauses"] = [
                {"row": first_row + int(i) + 1, "duration_s": float(extra[i])} for i in paused
            ]
            notes.append(
                f"row {first_row + int(paused[0]) + 1}: the wall clock advances "
                f"{float(extra[paused[0]]):.6g} s more than the test time ({len(paused)} pause(s) "
                "the instrument's test clock did not count); added to the test time"
            )
    if len(back):
        positive = dt[dt > 0]
        typical = float(np.median(positive)) if len(positive) else 1.0
        step = np.full(len(back), typical)
        if "unix_time_second" in out:
            wall = np.diff(out["unix_time_second"])[back]
            step = np.where(wall >= 0, wall, typical)
        jump = np.zeros(len(t))
        jump[back + 1] = -dt[back] + step
        out["test_time_second"] = t + np.cumsum(jump)
        notes.append(
            f"row {first_row + int(back[0]) + 1}: test time goes backwards at {len(back)} row(s) "
            f"(largest jump {float(-dt[back].min()):.6g} s); time made continuous "
            "(the wall-clock interval or the typical sampling interval added at each reset)"
        )
        meta["time_resets"] = len(back)
        t = out["test_time_second"]
        dt = np.diff(t)
    gaps = np.flatnonzero(dt > gap_limit_s)
    if len(gaps):
        meta["time_gaps"] = [
            {"row": first_row + int(i) + 1, "start_s": float(t[i]), "duration_s": float(dt[i])}
            for i in gaps
        ]
        longest = float(dt[gaps].max())
        notes.append(
            f"row {first_row + int(gaps[0]) + 1}: {len(gaps)} pause(s) longer than "
            f"{gap_limit_s:g} s in the test time (longest {longest:.6g} s); kept as recorded"
        )


def require_source_columns(
    frame: pd.DataFrame, wanted: Mapping[str, str], *, file: str | Path, header_row: int | None
) -> None:
    """Raise ParseError naming the first vendor column (value of ``wanted``) absent from ``frame``."""
    for canonical, source in wanted.items():
        if source not in frame.columns:
            raise ParseError(
                f"the column for {canonical} is missing",
                file=file,
                row=header_row,
                column=source,
                expected=f"a column {source!r} in the header",
                found=", ".join(map(str, frame.columns))[:300],
            )
