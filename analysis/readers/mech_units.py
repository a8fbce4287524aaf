"""Shared machinery for instrument exports whose column headers carry units, ``Force (gf)``.

Used by the peel, scratch and indentation readers (:mod:`analysis.readers.mech_csv`) and the
cyclic-voltammetry reader (:mod:`analysis.readers.cv_csv`). It registers no reader itself.

A header is ``<name> (<unit>)`` or ``<name> [<unit>]``. Names are matched case-insensitively
against a few synonyms per canonical column; units are parsed with pint and every column is
converted to its one canonical unit, which is part of the canonical column name
(``force_N``, ``depth_nm``...). A header without a unit, with a unit pint does not know, or
with a unit of the wrong dimension is a :class:`ParseError` naming the column.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.readers._limits import limits
from analysis.readers.base import ParseError

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

_HEADER = re.compile(r"^\s*(?P<name>[^(\[]*?)\s*(?:[(\[]\s*(?P<unit>[^)\]]*?)\s*[)\]])?\s*$")
#: How many leading lines may precede the header row (instrument preambles).
MAX_PREAMBLE_LINES = 40


@dataclass(frozen=True)
class Column:
    """A canonical column: the names it goes by, its canonical unit and the dimension pint
    must find in the header's unit (``None`` for a dimensionless count such as ``Cycle``)."""

    canonical: str
    names: tuple[str, ...]
    unit: str | None
    dimension: str | None
    description: str


def split_header(header: str) -> tuple[str, str | None]:
    """``'Force (gf)'`` -> ``('force', 'gf')``; ``'Cycle'`` -> ``('cycle', None)``."""
    match = _HEADER.match(str(header))
    if match is None:
        return str(header).strip().lower(), None
    name = " ".join(match.group("name").lower().split())
    unit = match.group("unit")
    return name, (unit.strip() or None) if unit is not None else None


@lru_cache(maxsize=1)
def _registry() -> Any:
    import pint

    return pint.UnitRegistry()


#: The dimension of a relative signal (acoustic emission): percent of the sensor's full scale,
#: a fraction, or arbitrary units (whose factor is NaN: taken as they are, with a warning).
RELATIVE = "relative signal"
_PERCENT = {"%": 1.0, "percent": 1.0, "pct": 1.0, "fraction": 100.0, "1": 100.0}
_ARBITRARY = {"a.u.", "au", "a.u", "arb. units", "arb. unit", "arbitrary units", "counts"}


def _relative_factor(unit: str, column: Column, *, header: str) -> float:
    key = " ".join(unit.lower().split())
    if key in _PERCENT:
        return _PERCENT[key]
    if key in _ARBITRARY:
        return float("nan")
    raise ParseError(
        "unknown unit of a relative signal",
        column=header,
        expected="'%', 'fraction' or arbitrary units ('a.u.')",
        found=unit,
    )


def conversion_factor(unit: str, column: Column, *, header: str) -> float:
    """The factor taking values in ``unit`` to ``column.unit``.

    Raises :class:`ParseError` naming ``header`` when pint does not know the unit or it is not
    of the column's dimension (a force in a length column).
    """
    import pint

    assert column.unit is not None and column.dimension is not None
    if column.dimension == RELATIVE:
        return _relative_factor(unit, column, header=header)
    ureg = _registry()
    # pint reads "%" and "a.u." badly and the micro sign in either Unicode form; normalise
    # the two micro signs and refuse anything pint cannot parse.
    text = unit.replace("\u00b5", "u").replace("\u03bc", "u")
    try:
        quantity = ureg.Quantity(1.0, text)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError) as e:
        raise ParseError(
            "unknown unit in the header",
            column=header,
            expected=f"a {column.dimension} unit such as {column.unit!r}",
            found=unit,
        ) from e
    except Exception as e:  # pint's tokenizer raises assorted errors on garbage
        raise ParseError(
            "unreadable unit in the header",
            column=header,
            expected=f"a {column.dimension} unit such as {column.unit!r}",
            found=unit,
        ) from e
    target = ureg.Quantity(1.0, column.unit)
    if quantity.dimensionality != target.dimensionality:
        raise ParseError(
            f"the unit is not a {column.dimension}",
            column=header,
            expected=f"a {column.dimension} unit such as {column.unit!r}",
            found=unit,
        )
    return float(quantity.to(column.unit).magnitude)


def _rows_from_text(text: str) -> list[list[str]]:
    # The delimiter is the one found the same number of times on the data lines (the last
    # lines of the sample), so a preamble in another style does not mislead it.
    lines = [line for line in text.splitlines()[: MAX_PREAMBLE_LINES + 40] if line.strip()]
    tail = lines[-20:-1] if len(lines) > 2 else lines
    best, best_score = ",", (0, 0)
    for delimiter in (",", ";", "\t"):
        counts = Counter(n for line in tail if (n := line.count(delimiter)) > 0)
        if counts:
            count, lines_with_it = counts.most_common(1)[0]
            if (lines_with_it, count) > best_score:
                best, best_score = delimiter, (lines_with_it, count)
    reader = csv.reader(io.StringIO(text), delimiter=best)
    return [row for row in reader if any(c.strip() for c in row)]


def _matches(row: Sequence[str], columns: Sequence[Column]) -> bool:
    names = _names(tuple(row))
    return all(not names.isdisjoint(c.names) for c in columns)


@lru_cache(maxsize=256)
def _names(row: tuple[str, ...]) -> frozenset[str]:
    return frozenset(split_header(cell)[0] for cell in row)


def find_header_row(
    rows: Sequence[Sequence[str]], required: Sequence[Column], forbidden: Sequence[Column] = ()
) -> int | None:
    """Index of the first row naming every ``required`` column and no ``forbidden`` one."""
    for i, row in enumerate(rows[: MAX_PREAMBLE_LINES + 1]):
        if _matches(row, required) and not any(_matches(row, [f]) for f in forbidden):
            return i
    return None


def _xlsx_text_from_head(head: bytes) -> str:
    """The readable XML text of the zip members present in ``head`` (a sniffer's view)."""
    chunks: list[str] = []
    pos = 0
    while True:
        pos = head.find(b"PK\x03\x04", pos)
        if pos < 0 or pos + 30 > len(head):
            break
        method = int.from_bytes(head[pos + 8 : pos + 10], "little")
        name_len = int.from_bytes(head[pos + 26 : pos + 28], "little")
        extra_len = int.from_bytes(head[pos + 28 : pos + 30], "little")
        start = pos + 30 + name_len + extra_len
        body = head[start:]
        try:
            data = zlib.decompressobj(-15).decompress(body) if method == 8 else body
        except zlib.error:
            data = b""
        chunks.append(data.decode("utf-8", "replace"))
        pos = start
    return "\n".join(chunks)


@lru_cache(maxsize=4)
def sniff_rows(name: str, head: bytes) -> tuple[tuple[str, ...], ...]:
    """Candidate header rows a sniffer can see in ``head`` (CSV text, or an XLSX's strings).

    Cached: format detection asks once per mechanics/CV reader about the same head."""
    if head.startswith(b"PK\x03\x04"):
        text = _xlsx_text_from_head(head)
        strings = re.findall(r"<t[^>]*>([^<]*)</t>", text)
        return (tuple(strings),)
    text = head.decode("utf-8-sig", errors="replace")
    if "\x00" in text:
        return ()
    return tuple(tuple(row) for row in _rows_from_text(text))


def sniff_for(
    head: bytes, name: str, required: Sequence[Column], forbidden: Sequence[Column] = ()
) -> bool:
    rows = sniff_rows(name, head)
    if head.startswith(b"PK\x03\x04"):
        # Shared strings hold every cell text of the workbook, in no particular row.
        return (
            bool(rows)
            and _matches(rows[0], required)
            and not any(_matches(rows[0], [f]) for f in forbidden)
        )
    return find_header_row(rows, required, forbidden) is not None


def _load_rows(path: Path) -> list[list[str]]:
    if path.suffix.lower() in {".xlsx", ".xlsm"} or zipfile.is_zipfile(path):
        frame = pd.read_excel(path, header=None, dtype=str, engine="openpyxl")
        return [
            ["" if pd.isna(v) else str(v) for v in row]
            for row in frame.itertuples(index=False)
            if any(not pd.isna(v) and str(v).strip() for v in row)
        ]
    limits().check_text_lines(path)  # before the whole text is loaded
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return _rows_from_text(text)


def read_unit_table(
    path: Path,
    *,
    required: Sequence[Column],
    optional: Sequence[Column] = (),
    forbidden: Sequence[Column] = (),
    what: str,
) -> tuple[pd.DataFrame, list[str], dict[str, Any]]:
    """Read a CSV or XLSX export into canonical columns, converted to canonical units.

    Returns the table (float columns, ``Int64`` for dimensionless counts), warnings (ignored
    columns) and metadata (the header and unit each canonical column came from, and the
    ``key: value`` preamble lines). Raises :class:`ParseError` naming the file, column and
    row of any problem.
    """
    rows = _load_rows(path)
    at = find_header_row(rows, required, forbidden)
    if at is None:
        wanted = ", ".join(repr(c.names[0]) for c in required)
        raise ParseError(
            f"no header row naming the {what} columns",
            file=path,
            expected=f"columns {wanted} with units, e.g. {_example(required)}",
            found=", ".join(rows[0]) if rows else "no rows",
        )
    header = [c.strip() for c in rows[at]]
    metadata: dict[str, Any] = {"preamble": _preamble(rows[:at]), "columns": {}}
    warnings: list[str] = []
    data: dict[str, Any] = {}
    used: set[int] = set()
    body = rows[at + 1 :]
    for column in [*required, *optional]:
        index = next(
            (
                i
                for i, h in enumerate(header)
                if i not in used and split_header(h)[0] in column.names
            ),
            None,
        )
        if index is None:
            continue
        used.add(index)
        title = header[index]
        _, unit = split_header(title)
        values = _numbers(body, index, title, path, first_row=at + 2)
        if column.unit is None:
            data[column.canonical] = pd.array(np.round(values).astype("int64"), dtype="Int64")
            metadata["columns"][column.canonical] = {"header": title, "unit": None}
            continue
        if unit is None and column.dimension == RELATIVE:
            unit = "a.u."
        if unit is None:
            raise ParseError(
                "no unit in the header",
                file=path,
                column=title,
                expected=f"a unit in brackets, e.g. '{title} ({column.unit})'",
                found=title,
            )
        try:
            factor = conversion_factor(unit, column, header=title)
        except ParseError as exc:
            raise exc.with_file(path) from exc
        if factor != factor:  # NaN: a relative signal in arbitrary units, taken as it is
            factor = 1.0
            warnings.append(
                f"column {title!r}: arbitrary units ({unit}) taken as {column.unit} "
                "(only the signal's rise over its own baseline is used)"
            )
        data[column.canonical] = values * factor
        metadata["columns"][column.canonical] = {"header": title, "unit": unit}
    for i, h in enumerate(header):
        if i not in used and h:
            warnings.append(f"column {h!r} ignored (not part of the {what} table)")
    table = pd.DataFrame(data)
    if table.empty:
        raise ParseError(f"no data rows below the header of the {what} table", file=path)
    return table, warnings, metadata


def _numbers(
    body: Sequence[Sequence[str]], index: int, title: str, path: Path, *, first_row: int
) -> np.ndarray[Any, np.dtype[np.float64]]:
    out = np.empty(len(body), dtype=float)
    for k, row in enumerate(body):
        cell = row[index].strip() if index < len(row) else ""
        try:
            out[k] = float(cell)
        except ValueError:
            raise ParseError(
                "not a number",
                file=path,
                row=first_row + k,
                column=title,
                expected="a number",
                found=cell,
            ) from None
    return out


def _preamble(rows: Sequence[Sequence[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in rows:
        cells = [c.strip() for c in row if c.strip()]
        if len(cells) >= 2:
            out[cells[0].rstrip(":")] = cells[1]
        elif len(cells) == 1 and ":" in cells[0]:
            key, _, value = cells[0].partition(":")
            out[key.strip()] = value.strip()
    return out


def _example(columns: Sequence[Column]) -> str:
    return ", ".join(f"'{c.names[0].capitalize()} ({c.unit})'" for c in columns if c.unit)
