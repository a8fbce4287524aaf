"""Reading a grown text file from the table of its earlier version plus its new lines.

A cycler that is still running appends rows to its export; each upload is a new version whose
bytes extend the previous one (docs/live.md). Parsing the whole file again costs time in
proportion to the whole test; :func:`read_grown` parses only the file's header and the lines
from a little before the previous end, and puts the earlier rows in front.

It is exact or it is not used. The re-parse starts at the first row of the cycler step that
holds the row ``overlap`` rows before the previous version's end (readers count some columns
from the start of a step, such as the charge passed in it), plus the row before it (a reader
treats a file's first row unlike a step's first row; that row is dropped again). Every row
from the step's start to the previous version's last complete line is parsed twice and must
come out equal, column by column, with the same dtypes, to the earlier table; the previous
version's last line is always parsed again (the earlier upload may have ended mid-line).
Integer columns that differ by one constant there (a step counter the reader counts from the
first row it sees) are shifted by it; any other difference (a time counted from the first row,
a row number of the reader's own, units chosen from the data) makes it return ``None``, and the
caller reads the whole file. Binary formats (no line structure to cut at) are read whole.

Assumes one data row per line after the header (checked by the overlap, as above).
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from analysis.readers.base import ReadResult, read

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

#: rows parsed twice (at least) to check that the new parse continues the earlier one
OVERLAP_ROWS = 32
#: columns whose change marks the start of a cycler step, first found is used
STEP_COLUMNS = ("step_count", "step_index", "cycle_count")
_BLOCK = 1 << 20


def count_newlines(path: Path, start: int = 0, stop: int | None = None) -> int:
    """Newline bytes from offset ``start`` up to ``stop`` (the end of the file)."""
    stop = path.stat().st_size if stop is None else stop
    count = 0
    with path.open("rb") as fh:
        fh.seek(start)
        left = stop - start
        while left > 0:
            block = fh.read(min(_BLOCK, left))
            if not block:
                break
            count += block.count(b"\n")
            left -= len(block)
    return count


def _header_end(path: Path, lines: int) -> int:
    """Byte offset after the first ``lines`` lines."""
    if lines == 0:
        return 0
    offset = 0
    with path.open("rb") as fh:
        while True:
            block = fh.read(_BLOCK)
            if not block:
                return -1
            pos = -1
            for _ in range(lines):
                pos = block.find(b"\n", pos + 1)
                if pos < 0:
                    break
                lines -= 1
            if lines == 0:
                return offset + pos + 1
            offset += len(block)


def _line_start_before(path: Path, end: int, newlines: int) -> int:
    """Byte offset of the line that starts after the ``newlines``-th newline counted
    backwards from ``end`` (exclusive)."""
    pos = end
    with path.open("rb") as fh:
        while pos > 0:
            start = max(0, pos - _BLOCK)
            fh.seek(start)
            block = fh.read(pos - start)
            i = len(block)
            while newlines:
                i = block.rfind(b"\n", 0, i)
                if i < 0:
                    break
                newlines -= 1
            if not newlines:
                return start + i + 1
            pos = start
    return 0


def _continued(tail: pd.DataFrame, earlier: pd.DataFrame) -> pd.DataFrame | None:
    """``tail`` if its first rows equal ``earlier`` (same columns, dtypes, values; NaN equal
    to NaN), with integer counters the reader counts from the first row it sees (a step
    counter) shifted by their constant offset; ``None`` otherwise."""
    n = len(earlier)
    if list(tail.columns) != list(earlier.columns) or len(tail) < n:
        return None
    shifted = {}
    for name in tail.columns:
        x, y = tail[name], earlier[name]
        if x.dtype != y.dtype:
            return None
        xv, yv = x.to_numpy()[:n], y.to_numpy()
        if xv.dtype.kind == "f":
            if np.array_equal(xv, yv, equal_nan=True):
                continue
            offset = _integer_offset(xv, yv)
            if offset is None:
                return None
            shifted[name] = x.to_numpy() + offset
        elif xv.dtype.kind in "iu":
            if np.array_equal(xv, yv):
                continue
            offset = _integer_offset(xv.astype(np.float64), yv.astype(np.float64))
            if offset is None:
                return None
            shifted[name] = x.to_numpy() + x.dtype.type(offset)
        elif not pd.Series(xv).equals(pd.Series(yv)):
            return None
    if shifted:
        tail = tail.assign(**shifted)
    return tail


def _integer_offset(x: npt.NDArray[Any], y: npt.NDArray[Any]) -> float | None:
    """The constant integer ``y - x`` of two integer-valued columns (exact in float64 below
    2**53), else None."""
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        return None
    if np.any(x != np.round(x)) or np.any(y != np.round(y)) or np.any(np.abs(y) > 2**52):
        return None
    d = y - x
    return float(d[0]) if np.all(d == d[0]) else None


def read_grown(
    path: Path,
    *,
    format: str,
    previous: pd.DataFrame,
    previous_bytes: int,
    previous_newlines: int | None = None,
    overlap: int = OVERLAP_ROWS,
    **options: Any,
) -> ReadResult | None:
    """The table of ``path`` from ``previous`` (the table of its first ``previous_bytes``
    bytes, read with the reader ``format``) and a parse of the header and the lines after
    it; ``None`` when that cannot be shown equal to a whole parse (module docstring).

    ``previous_newlines``: the newlines in those first bytes, as the earlier version's read
    counted them (its metadata's ``source_newlines``); counted here when not given. The
    metadata records the count for the whole file (``source_newlines``: ``{"bytes",
    "count"}``), so that the next version counts only its new bytes."""
    size = path.stat().st_size
    rows = len(previous)
    if previous_bytes >= size or rows < overlap + 2:
        return None
    if previous_newlines is None:
        previous_newlines = count_newlines(path, 0, previous_bytes)
    complete = previous_newlines  # complete lines of the earlier version
    for header_lines in (complete - rows, complete - rows + 1):
        # whether the reader kept the earlier upload's partial last line as a row decides
        # which data row a line is: try both; the overlap tells
        data_lines = complete - header_lines  # complete data lines of the earlier version
        # the first row kept from the re-parse: a step's first row; the row before it is
        # parsed too (a reader treats the first row of a file unlike the first of a step);
        # two steps back, so that the rows checked cross a step change (a counter the reader
        # derives from its own step count shows there whether a constant offset holds)
        first = _step_start(previous, _step_start(previous, data_lines - overlap) - 1)
        if header_lines < 0 or first < 2 or data_lines - first < overlap:
            continue
        header_end = _header_end(path, header_lines)
        start = _line_start_before(path, previous_bytes, data_lines - first + 2)
        if header_end < 0 or start < header_end:
            continue
        tail = _read_part(path, header_end, start, format, options)
        if tail is None or len(tail.table) < 2:
            continue
        table = _continued(tail.table.iloc[1:], previous.iloc[first:data_lines])
        if table is None:
            continue
        table = pd.concat([previous.iloc[:first], table], ignore_index=True)
        newlines = previous_newlines + count_newlines(path, previous_bytes, size)
        metadata = {
            **tail.metadata,
            "grown_from_rows": first,
            "rows_parsed": len(tail.table),
            "source_newlines": {"bytes": size, "count": newlines},
        }
        return dataclasses.replace(tail, table=table, metadata=metadata, source_name=path.name)
    return None


def _step_start(table: pd.DataFrame, row: int) -> int:
    """The first row of the cycler step that holds ``row`` (``row`` when the table has no
    step column): readers count some things from the start of a step (the charge passed in
    it), so a re-parse starts where a step does."""
    for name in STEP_COLUMNS:
        if name in table.columns and 0 < row < len(table):
            step = table[name].to_numpy()[: row + 1]
            changes = np.flatnonzero(step[1:] != step[:-1])
            return int(changes[-1]) + 1 if changes.size else 0
    return row


def _read_part(
    path: Path, header_end: int, start: int, format: str, options: dict[str, Any]
) -> ReadResult | None:
    """The file's first ``header_end`` bytes and everything from ``start``, parsed."""
    with tempfile.TemporaryDirectory() as tmp, path.open("rb") as fh:
        part = Path(tmp) / path.name
        with part.open("wb") as out:
            out.write(fh.read(header_end))
            fh.seek(start)
            while block := fh.read(_BLOCK):
                out.write(block)
        try:
            return read(part, format=format, **options)
        except Exception:  # the cut file is not readable as such: the caller reads it whole
            return None
