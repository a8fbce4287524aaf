"""BioLogic files holding DC cycling and impedance loops in one table (EC-Lab Modulo Bat with
PEIS/GEIS sequences, GCPL + GEIS state-of-charge steps, the paper's in-situ EIS every 10 min).

EC-Lab writes one table for the whole run: DC rows carry ``freq/Hz`` = 0 (and zero impedance
columns), impedance rows carry the frequency, ``|Z|``, ``Phase(Z)`` and, in text exports,
``Re(Z)``/``-Im(Z)``; ``I/mA`` on an impedance row is the sampled AC current, not a DC current;
``z cycle`` counts the impedance runs (0 for the first; the DC rows after a run keep its
number). Such a file gives two tables (:func:`read_mixed`):

- the cycling table, from the DC rows only (an impedance point is never a cycling row, so it
  cannot be counted as a cycle or a step); the DC row after each impedance run is marked
  ``interrupted_before`` so that the cycling analysis does not integrate the DC current over the
  time the impedance run took (the counters, such as ``(Q-Qo)``, do not count it either);
- the spectra (one per contiguous block of impedance rows, split again where the frequency
  restarts a sweep), each tagged with where it sits in the DC run (:func:`spectrum_states`).

Which one is the file's main table follows the rows: spectra when most rows are impedance
points (the paper's in-situ run), cycling otherwise (cellpy's ``biol.mpr``); the other is a
companion (:attr:`analysis.readers.Parsed.companions`), so both the cycling and the EIS
pipeline find their table in the same file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from analysis.readers import _text
from analysis.readers.base import Parsed, ParseError

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

#: fewest impedance points that make a spectrum (a mixed file needs one)
MIN_SPECTRUM_POINTS = 5
#: a DC row carries current when |I| exceeds this fraction of the largest DC |I| of the file
#: (EC-Lab writes rests as exactly 0 mA; the fraction keeps offset noise of a few uA out)
CURRENT_FRACTION = 0.01

FloatArray = npt.NDArray[np.float64]


def impedance_rows(raw: pd.DataFrame, *, path: Path, first_row: int) -> npt.NDArray[np.bool_]:
    """True for the rows that are impedance points (``freq/Hz`` > 0); all False without a
    frequency column."""
    col = next((c for c in raw.columns if str(c).startswith("freq")), None)
    if col is None:
        return np.zeros(len(raw), dtype=bool)
    f = _text.to_float(raw[col], file=path, column=str(col), first_row=first_row)
    return np.isfinite(f) & (f > 0)


def is_mixed(eis_rows: npt.NDArray[np.bool_], raw: pd.DataFrame) -> bool:
    """A file with at least one spectrum's worth of impedance points and DC rows that carry
    a time and a voltage (two or more)."""
    dc = int((~eis_rows).sum())
    has_dc_columns = "time/s" in raw.columns and any(
        c in raw.columns for c in ("Ewe/V", "Ecell/V", "<Ewe>/V")
    )
    return bool(int(eis_rows.sum()) >= MIN_SPECTRUM_POINTS and dc >= 2 and has_dc_columns)


def _numeric(raw: pd.DataFrame, *, path: Path, first_row: int, decimal_comma: bool) -> pd.DataFrame:
    """Every text column that holds numbers converted on the whole table, so that a bad cell
    is reported at its row of the file before the rows are split."""
    out = raw.copy()
    for col in out.columns:
        if out[col].dtype.kind in "fiub" or col == "time/s":
            continue
        out[col] = _text.to_float(
            out[col], file=path, column=str(col), first_row=first_row, decimal_comma=decimal_comma
        )
    return out


def read_mixed(
    raw: pd.DataFrame,
    eis_rows: npt.NDArray[np.bool_],
    *,
    path: Path,
    metadata: dict[str, Any],
    first_row: int,
    decimal_comma: bool,
    cycling: Callable[[pd.DataFrame], Parsed],
) -> Parsed:
    """Both tables of a mixed file (see the module docstring); ``cycling`` builds the cycling
    table from the DC rows. A table that cannot be built leaves the other standing as the main
    table with a warning naming the reason; when neither can, the cycling error is raised."""
    from analysis.readers._biologic_eis import biologic_eis_table

    frame = _numeric(raw, path=path, first_row=first_row, decimal_comma=decimal_comma)
    if frame["time/s"].dtype.kind not in "fiu":
        raise ParseError(
            "a file mixing DC and impedance rows needs a numeric time/s column",
            file=path,
            column="time/s",
            expected="seconds from the start of the run",
            found=str(frame["time/s"].iloc[0]),
        )
    block = np.cumsum(np.r_[True, eis_rows[1:] != eis_rows[:-1]])
    dc_frame = frame.loc[~eis_rows].reset_index(drop=True)
    meta = {**metadata, "mixed": {"impedance_rows": int(eis_rows.sum()), "dc_rows": len(dc_frame)}}
    cyc_error: ParseError | None = None
    try:
        cyc = cycling(dc_frame)
    except ParseError as exc:
        cyc, cyc_error = None, exc
    eis = biologic_eis_table(
        frame.loc[eis_rows], file=path, metadata=meta, segments=block[eis_rows], in_situ=True
    )
    states = spectrum_states(frame, eis_rows, eis.table["spectrum"].to_numpy())
    eis_table = eis.table.join(states, on="spectrum")
    if "cycle" in eis_table.columns:  # EC-Lab's own cycle number wins where it was written
        eis_table = eis_table.drop(columns="cycle_from_dc")
    else:
        eis_table = eis_table.rename(columns={"cycle_from_dc": "cycle"})
    eis = Parsed(
        table=eis_table,
        warnings=tuple(w for w in eis.warnings if "without a frequency" not in w),
        metadata=eis.metadata,
        kind="eis",
    )
    if cyc is None:
        assert cyc_error is not None
        return Parsed(
            table=eis.table,
            warnings=(*eis.warnings, f"the DC rows give no cycling table ({cyc_error.reason})"),
            metadata=eis.metadata,
            kind="eis",
        )
    t = frame["time/s"].to_numpy(np.float64)
    runs = np.unique(block[eis_rows])
    spent_s = sum(float(np.ptp(t[block == b])) for b in runs)
    table = cyc.table.copy()
    # the readers keep the DC rows in order and drop at most rows at the end
    table["interrupted_before"] = interrupted_before(eis_rows)[: len(table)]
    marked = int(table["interrupted_before"].sum())
    cyc = Parsed(
        table=table,
        warnings=(
            *cyc.warnings,
            f"{int(eis_rows.sum())} impedance points ({eis.metadata.get('spectra')} spectra) "
            "left out of the cycling table: they are the companion EIS table",
            f"{runs.size} impedance run(s) ({spent_s:.0f} s of impedance points) interrupt the "
            f"DC rows: the {marked} DC row(s) after them are marked interrupted_before, and the "
            "cycling analysis does not integrate the current across those intervals",
        ),
        metadata={**cyc.metadata, "mixed": meta["mixed"]},
        kind="cycling",
    )
    if eis_rows.mean() >= 0.5:
        return Parsed(eis.table, eis.warnings, eis.metadata, "eis", {"cycling": cyc})
    return Parsed(cyc.table, cyc.warnings, cyc.metadata, "cycling", {"eis": eis})


def interrupted_before(eis_rows: npt.NDArray[np.bool_]) -> FloatArray:
    """For each DC row of the file, in order: 1.0 when impedance rows lie between it and the
    previous DC row (the interval between the two DC rows was spent on another technique: its
    DC current must not be integrated), else 0.0. The first DC row is never marked (nothing
    before it is integrated)."""
    dc_pos = np.flatnonzero(~eis_rows)
    out = np.zeros(dc_pos.size)
    out[1:] = np.diff(dc_pos) > 1
    return out


def _charge_ah(frame: pd.DataFrame, t: FloatArray, current_a: FloatArray) -> FloatArray:
    """Net charge since the start (Ah, signed): EC-Lab's ``(Q-Qo)/mA.h`` when written, else the
    current integrated over time (trapezoids)."""
    if "(Q-Qo)/mA.h" in frame.columns:
        q = pd.Series(frame["(Q-Qo)/mA.h"].to_numpy(np.float64)).ffill().fillna(0.0)
        return np.asarray(q.to_numpy(np.float64) / 1000.0)
    dq = np.r_[0.0, 0.5 * (current_a[1:] + current_a[:-1]) * np.diff(t) / 3600.0]
    return np.asarray(np.cumsum(dq))


def spectrum_states(
    frame: pd.DataFrame, eis_rows: npt.NDArray[np.bool_], spectrum: npt.NDArray[np.int64]
) -> pd.DataFrame:
    """Where each spectrum sits in the DC run, one row per spectrum number:

    - ``half_cycle``: 1-based index of the half-cycle (a run of DC current of one sign; rests
      and impedance rows do not end it) of the last current-carrying DC row before the
      spectrum; 0 when no current flowed before it;
    - ``dc_state``: ``reduction`` (I < 0 at the working electrode, EC-Lab's sign: Li plating
      on the anode-less electrode of a half cell, discharge of a full cell), ``oxidation``
      (I > 0) or ``rest`` (no current before the spectrum);
    - ``half_cycle_charge_ah``: charge passed since that half-cycle began, Ah (>= 0; from
      ``(Q-Qo)``, else the integrated current);
    - ``rest_second``: time from the last current-carrying DC row to the spectrum's first
      point, s (NaN at ``rest``);
    - ``voltage_volt``: the cell voltage during the spectrum, V (median of the DC potential
      column ``Ecell/V``, else ``Ewe/V``, over its points: the AC amplitude averages out);
    - ``cycle_from_dc``: (half_cycle + 1) // 2, the cycle of a half cell that starts with a
      plating (of a full cell that starts with a charge); the spectrum's ``cycle`` when the
      file has no ``cycle number`` column of its own.
    A DC row carries current when |I| > :data:`CURRENT_FRACTION` x the largest DC |I|.
    """
    position = np.flatnonzero(eis_rows)
    dc_pos = np.flatnonzero(~eis_rows)
    t_all = frame["time/s"].to_numpy(np.float64)
    i_col = next((c for c in ("I/mA", "<I>/mA") if c in frame.columns), None)
    current = frame[i_col].to_numpy(np.float64)[dc_pos] / 1000.0 if i_col else np.zeros(dc_pos.size)
    current = np.nan_to_num(current)
    t_dc = t_all[dc_pos]
    q = _charge_ah(frame.iloc[dc_pos], t_dc, current)
    peak = float(np.max(np.abs(current))) if current.size else 0.0
    flowing = (
        np.abs(current) > CURRENT_FRACTION * peak if peak > 0 else np.zeros_like(current, bool)
    )
    sign = np.sign(current)
    carrying = np.flatnonzero(flowing)
    hc = np.zeros(dc_pos.size, dtype=np.int64)
    starts = np.zeros(dc_pos.size, dtype=np.int64)  # index (in DC rows) where the half-cycle began
    if carrying.size:
        change = np.r_[True, sign[carrying][1:] != sign[carrying][:-1]]
        ids = np.cumsum(change)
        hc[carrying] = ids
        first_of = carrying[change]
        starts[carrying] = first_of[ids - 1]
    v_col = next((c for c in ("Ecell/V", "Ewe/V", "<Ewe>/V") if c in frame.columns), None)
    volts = frame[v_col].to_numpy(np.float64) if v_col else np.full(len(frame), np.nan)
    rows = []
    for number in np.unique(spectrum):
        pts = position[spectrum == number]
        first = int(pts[0])
        before = carrying[dc_pos[carrying] < first] if carrying.size else carrying
        if before.size == 0:
            half, state, charge, rest = 0, "rest", 0.0, float("nan")
        else:
            last = int(before[-1])
            begin = int(starts[last])
            q0 = q[begin - 1] if begin > 0 else 0.0
            half = int(hc[last])
            state = "reduction" if sign[last] < 0 else "oxidation"
            charge = abs(float(q[last] - q0))
            rest = float(t_all[first] - t_dc[last])
        rows.append(
            {
                "spectrum": int(number),
                "half_cycle": half,
                "dc_state": state,
                "half_cycle_charge_ah": charge,
                "rest_second": rest,
                "voltage_volt": float(np.nanmedian(volts[pts])),
                "cycle_from_dc": (half + 1) // 2,
            }
        )
    return pd.DataFrame(rows).set_index("spectrum")
