"""Maccor text export of a cycler trace (MaccorExport / MIMS Client, tab separated).

Free-text header lines (``Today's Date``, ``Date of Test:``, ``Filename:``, ``Procedure:``,
``Comment/Barcode:``), then the column line starting ``Rec#``: ``Rec#, Cyc#, Step, <test time>,
<step time>, Amp-hr, Watt-hr, Amps, Volts, State, ES, DPt Time``. ``Amps`` is unsigned and
``State`` gives the direction (``C`` charge, ``D`` discharge, ``R`` rest); ``Amp-hr`` and
``Watt-hr`` are unsigned and restart every step; ``ES`` is the end-of-step code (0 within a
step, the code of the limit that ended it on its last row); ``DPt Time`` the local wall clock
``MM/DD/YYYY HH:MM:SS``. The time columns differ between export settings, as BEEP, cellpy and
galvani's peers read them:

- ``time="seconds"``: ``Test (Sec)``, ``Step (Sec)`` (raw ``.0xx`` files and most exports);
- ``time="minutes"``: ``Test (Min)``, ``Step (Min)`` (the export option "time in minutes");
- ``time="clock"``: ``TestTime``, ``StepTime`` as ``Nd HH:MM:SS.ff`` (MIMS Client exports).
"""

from __future__ import annotations

import datetime as dt
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

MaccorTime = Literal["seconds", "minutes", "clock"]


def write_maccor_txt(
    path: str | Path,
    rows: CyclerRows,
    *,
    time: MaccorTime = "seconds",
    procedure: str = "LABDB_PLATING.000",
    started: dt.datetime | None = None,
    decimal_comma: bool = False,
) -> Path:
    """Write ``rows`` as a Maccor text export (see the module docstring); ``decimal_comma``
    as MaccorExport writes numbers on a Windows set to a German or French locale."""
    direction = rows.step_direction
    state = np.where(direction > 0, "C", np.where(direction < 0, "D", "R"))
    last = np.r_[rows.step_count[1:] != rows.step_count[:-1], True]
    es = np.where(last, np.where(direction != 0, 133, 129), 0)  # Maccor's voltage / time ends
    if time == "seconds":
        test_name, step_name = "Test (Sec)", "Step (Sec)"
        test, step = numbers(rows.test_time_s, 2), numbers(rows.step_time_s, 2)
    elif time == "minutes":
        test_name, step_name = "Test (Min)", "Step (Min)"
        test, step = numbers(rows.test_time_s / 60.0, 6), numbers(rows.step_time_s / 60.0, 6)
    else:
        test_name, step_name = "TestTime", "StepTime"
        test = clock(rows.test_time_s, decimals=2, days=True)
        step = clock(rows.step_time_s, decimals=2, days=True)
    when = started or dt.datetime.fromtimestamp(float(rows.unix_time_s[0]), dt.UTC)
    preamble = [
        f"Today's Date {when:%m/%d/%Y}  Date of Test:\t{when:%m/%d/%Y}\t Filename:\t"
        f"C:\\Data\\{Path(path).stem}.001 Procedure: {procedure}\tComment/Barcode: labdb simulated"
    ]
    columns = {
        "Rec#": integers(np.arange(1, len(rows) + 1)),
        "Cyc#": integers(rows.cycle - 1),
        "Step": integers(rows.step_index),
        test_name: test,
        step_name: step,
        "Amp-hr": numbers(rows.step_capacity_Ah, 10),
        "Watt-hr": numbers(rows.step_energy_Wh, 10),
        "Amps": numbers(np.abs(rows.current_A), 10),
        "Volts": numbers(rows.voltage_V, 8),
        "State": state,
        "ES": integers(es),
        "DPt Time": wall_clock(rows.unix_time_s, "%m/%d/%Y %H:%M:%S"),
    }
    return write_text(
        path,
        columns,
        preamble=preamble,
        delimiter="\t",
        encoding="latin-1",
        decimal_comma=decimal_comma,
    )
