"""Maccor: text exports (MIMS/MaccorExport ``.txt``) and raw ``.0xx`` files (tab separated).

Format ``maccor``.

Both start with free-text header lines (``Today's Date``, ``Filename``, ``Procedure``...), then a
column line starting ``Rec#``. Vendor conventions: ``Amps`` is written unsigned or signed
depending on the export and the ``State`` column says the direction (``C`` charge, ``D``
discharge, ``R`` rest): the sign is taken from the state (C positive, D negative, BDF's sign).
``Amp-hr``/``Watt-hr`` are unsigned and restart at every step (per-step counters, split into
charging/discharging by the state). Test time is ``Test (Sec)`` in seconds (raw files),
``Test (Min)``/``Step (Min)`` in minutes or ``Test (Hr)`` in hours (the export's time-unit
option), or ``TestTime`` as ``Nd HH:MM:SS.f`` (MIMS Client exports); numbers with a decimal
comma (a German or French Windows locale) are found from the rows; ``DPt Time`` is the local wall clock
(``MM/DD/YYYY HH:MM:SS``). ``Cyc#`` is kept as ``cycle_count``, ``Step`` as ``step_index``.
Maccor's raw files from a test that was paused show the pause as a jump of the test time: kept,
and listed in ``metadata["time_gaps"]`` (BEEP asserts a 7201 s pause on its sample).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow.compute as pc

from analysis.readers import _head, _text
from analysis.readers._durations import arrow_text, wall_clock_seconds
from analysis.readers._units import timedelta_seconds
from analysis.readers.base import Parsed, ParseError, register
from analysis.readers.canonical import finish_cycling, split_by_direction, step_signs, step_starts
from analysis.readers.generic_csv import date_seconds

_TIME_UNITS = {"sec": 1.0, "s": 1.0, "min": 60.0, "hr": 3600.0, "h": 3600.0}


def _time_unit(column: str, which: str) -> float | None:
    """Seconds per unit of a Maccor ``which`` ("test" or "step") time column: ``Test (Sec)``,
    ``Test (Min)``, ``Test (Hr)``, ``Test Time (sec)``; 1 for ``TestTime`` (clock text); None
    when ``column`` is not one."""
    name = column.strip().lower()
    if name == f"{which}time":
        return 1.0
    m = re.fullmatch(rf"{which}(?: time)?\s*\((sec|s|min|hr|h)\)", name)
    return _TIME_UNITS[m.group(1)] if m else None


def _header_index(lines: list[str]) -> int | None:
    return _head.find_header(lines[:40], lambda ln: ln.startswith("Rec#\t") and "Volts" in ln)


def _sniff(name: str, head: bytes) -> bool:
    lines = head.decode("latin-1").splitlines()
    return _header_index(lines) is not None and (
        b"Today's Date" in head[:200] or b"Date of Test" in head[:400] or True
    )


#: ``DPt Time``, the data point's wall-clock time, as the vendor's export writes it.
_DPT_FORMAT = "%m/%d/%Y %H:%M:%S"
#: Columns that hold numbers in every export (parsed straight to float64 on the fast path).
_NUMBERS = frozenset(
    {"Rec#", "Cyc#", "Step", "Amp-hr", "Watt-hr", "Amps", "Volts", "ES", "ACImp/Ohms", "DCIR/Ohms"}
)


@register(
    "maccor",
    kind="cycling",
    extensions=(".txt", ".csv", *tuple(f".{i:03d}" for i in range(1000))),
    sniff=_sniff,
    version="1",
    priority=20,
)
def read_maccor(path: Path, **_: Any) -> Parsed:
    """Maccor text export or raw .0xx file."""
    lines, encoding = _head.head_lines(path, 64 * 1024)
    index = _header_index(lines)
    if index is None:
        raise ParseError("no Maccor column line", file=path, expected="a line starting with 'Rec#'")
    # Fast path: the number columns and DPt Time typed (see _text.read_table_typed).
    text = _text.read_table_typed(
        path,
        header_index=index,
        delimiter="\t",
        encoding=encoding,
        decimal_comma=_head.decimal_comma_likely(lines[index + 1 :], "\t"),
        numbers=_NUMBERS,
        dates={"DPt Time": _DPT_FORMAT},
    )
    frame = text.frame
    notes = list(text.warnings)
    time_col = next((c for c in frame.columns if _time_unit(c, "test") is not None), None)
    for col in (time_col, "Amps", "Volts", "State"):
        if col is None or col not in frame.columns:
            raise ParseError(
                "a Maccor column is missing",
                file=path,
                row=text.header_line,
                column=col or "Test (Sec)",
                expected="Rec#, Test (Sec), Test (Min), Test (Hr) or TestTime, Amps, Volts, State",
                found=", ".join(frame.columns)[:300],
            )
    assert time_col is not None

    def number(col: str) -> npt.NDArray[np.float64]:
        return _text.to_float(frame[col], file=path, column=col, first_row=text.first_row)

    def duration(col: str) -> npt.NDArray[np.float64]:
        scale = _time_unit(col, "test") or _time_unit(col, "step") or 1.0
        if scale != 1.0:  # minutes or hours: numbers
            return number(col) * scale
        return timedelta_seconds(frame[col], file=path, column=col, first_row=text.first_row)

    state = pc.utf8_upper(pc.utf8_trim_whitespace(arrow_text(frame["State"])))
    discharging = pc.equal(state, "D").to_numpy(zero_copy_only=False)
    charging = pc.equal(state, "C").to_numpy(zero_copy_only=False)
    amps = number("Amps")
    sign = np.where(discharging, -1.0, np.where(charging, 1.0, np.sign(amps)))
    # Columns as arrays, made a DataFrame once by finish_cycling (no copy per column).
    table: dict[str, npt.NDArray[np.float64]] = {
        "test_time_second": duration(time_col),
        "voltage_volt": number("Volts"),
        "current_ampere": np.abs(amps) * sign,
    }
    step_col = next((c for c in frame.columns if _time_unit(c, "step") is not None), None)
    if step_col is not None:
        table["step_time_second"] = duration(step_col)
    if "Cyc#" in frame.columns:
        table["cycle_count"] = number("Cyc#")
    if "Step" in frame.columns:
        table["step_index"] = number("Step")
    if "DPt Time" in frame.columns:
        dpt = frame["DPt Time"]
        table["unix_time_second"] = (
            date_seconds(dpt) if dpt.dtype.kind == "M" else wall_clock_seconds(dpt, _DPT_FORMAT)
        )
    starts = step_starts(table)
    signs = step_signs(table["current_ampere"], starts)  # once for both counters
    # Rows of a step share its direction: one state per step.
    for col, stem in (("Amp-hr", "capacity_ah"), ("Watt-hr", "energy_wh")):
        if col in frame.columns:
            chg, dchg = split_by_direction(
                number(col),
                table["current_ampere"],
                starts,
                signs=signs,
            )
            table[f"charging_{stem}"] = chg
            table[f"discharging_{stem}"] = dchg
    meta = {"header": " ".join(ln.strip() for ln in lines[:index])[:500]}
    return finish_cycling(
        table, file=path, counters="step", warnings=notes, metadata=meta, first_row=text.first_row
    )
