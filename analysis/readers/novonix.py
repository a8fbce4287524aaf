"""Novonix HPC/UHPC CSV exports.

Format ``novonix``. A ``[Summary]`` block (cell, protocol, mass, start time), a ``[Protocol]``
block, then ``[Data]`` with one header line. Each line may be wrapped in double quotes as a
whole (the vendor's writer), which is undone. Vendor conventions: ``Run Time (h)`` and ``Step
Time (h)`` in hours; ``Current (A)`` signed, negative discharging (BDF's sign); ``Potential (V)``;
``Capacity (Ah)`` and ``Energy (Wh)`` unsigned, restarting at most steps but carrying on from
a constant-current into its constant-voltage step (made cumulative within each step; split into
charging and discharging by the step's current sign); ``Cycle Number`` kept as ``cycle_count``; ``Step
Number`` kept as ``step_index`` (``Step Type`` is the protocol's step-kind code, in metadata);
``Date and Time`` is local wall-clock time with AM/PM.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from analysis.readers import _head, _text
from analysis.readers._durations import wall_clock_seconds
from analysis.readers.base import Parsed, ParseError, register
from analysis.readers.canonical import (
    finish_cycling,
    require_source_columns,
    split_by_direction,
    step_signs,
    step_starts,
)

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd


def _sniff(name: str, head: bytes) -> bool:
    return head.startswith(b"[Summary]") and b"Novonix" in head[:400]


#: The vendor's ``Date and Time`` (local wall-clock time, 12-hour clock).
_DATE_FORMAT = "%Y-%m-%d %I:%M:%S %p"
#: Columns that hold numbers in every export (parsed straight to float64 on the fast path).
_NUMBERS = frozenset(
    {
        "Cycle Number",
        "Step Type",
        "Run Time (h)",
        "Step Time (h)",
        "Current (A)",
        "Potential (V)",
        "Capacity (Ah)",
        "Energy (Wh)",
        "Step Number",
    }
)


@register("novonix", kind="cycling", extensions=(".csv",), sniff=_sniff, version="1", priority=10)
def read_novonix(path: Path, **_: Any) -> Parsed:
    """Novonix CSV export."""
    lines, encoding = _head.head_lines(path, 256 * 1024)
    marker = _head.find_header(lines, lambda ln: ln.strip() == "[Data]")
    if marker is None or marker + 1 >= len(lines):
        raise ParseError(
            "no [Data] section", file=path, expected="a line '[Data]' followed by the header"
        )
    header = lines[marker + 1]
    quoted = header.startswith('"') and header.count('"') == 2
    # Fast path: the known number columns and the date typed (see _text.read_table_typed).
    text = _text.read_table_typed(
        path,
        header_index=marker + 1,
        delimiter=",",
        encoding=encoding,
        numbers=_NUMBERS,
        dates={"Date and Time": _DATE_FORMAT},
        quoted_lines=quoted,
    )
    frame = text.frame
    require_source_columns(
        frame,
        {
            "test_time_second": "Run Time (h)",
            "voltage_volt": "Potential (V)",
            "current_ampere": "Current (A)",
        },
        file=path,
        header_row=text.header_line,
    )
    hours = 3600.0

    def number(col: str) -> npt.NDArray[np.float64]:
        return _text.to_float(frame[col], file=path, column=col, first_row=text.first_row)

    # Columns as arrays, made a DataFrame once by finish_cycling (no copy per column).
    table: dict[str, npt.NDArray[np.float64]] = {
        "test_time_second": number("Run Time (h)") * hours,
        "voltage_volt": number("Potential (V)"),
        "current_ampere": number("Current (A)"),
    }
    if "Step Time (h)" in frame.columns:
        table["step_time_second"] = number("Step Time (h)") * hours
    if "Cycle Number" in frame.columns:
        table["cycle_count"] = number("Cycle Number")
    if "Step Number" in frame.columns:
        table["step_index"] = number("Step Number")
    if "Date and Time" in frame.columns:
        table["unix_time_second"] = wall_clock_seconds(frame["Date and Time"], _DATE_FORMAT)
    temp = next((c for c in frame.columns if c.startswith("Temperature (")), None)
    if temp is not None:
        table["temperature_t1_celsius"] = number(temp)
    starts = step_starts(table)
    signs = step_signs(table["current_ampere"], starts)  # once for both counters
    for col, stem in (("Capacity (Ah)", "capacity_ah"), ("Energy (Wh)", "energy_wh")):
        if col in frame.columns:
            chg, dchg = split_by_direction(
                number(col),
                table["current_ampere"],
                starts,
                signs=signs,
            )
            table[f"charging_{stem}"] = chg
            table[f"discharging_{stem}"] = dchg
    meta: dict[str, Any] = {
        ln.split(":", 1)[0].strip(): ln.split(":", 1)[1].strip()
        for ln in lines[1:marker]
        if ":" in ln and not ln.startswith(("[", " ", '"'))
    }
    if meta.get("Version"):
        meta["software_version"] = meta["Version"]
    if "Step Type" in frame.columns:
        meta["step_types"] = sorted(int(v) for v in pd.unique(frame["Step Type"].dropna()))
    return finish_cycling(
        table,
        file=path,
        # Per step, except that the counter carries on across a CC-to-CV change (the BEEP
        # sample's step 2 to 3): made cumulative within the step, which leaves restarts alone.
        counters="cumulative",
        warnings=text.warnings,
        metadata=meta,
        first_row=text.first_row,
    )
