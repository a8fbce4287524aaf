"""Generic delimited text (CSV, TSV, ``;``) whose column mapping the user gives.

Format ``csv``. Never chosen by detection (a table of numbers says nothing about what its
columns mean): pass ``format="csv"`` and ``mapping={canonical name: source column}``, e.g.
``{"test_time_second": "test_time", "voltage_volt": "voltage", "current_ampere": "current"}``.

Units: ``units={canonical name: unit}`` (``"mA"``, ``"mAh"``, ``"h"``, ``"mV"``...); otherwise
the unit written in the source header (``Current(mA)``, ``Voltage / V``, ``I [uA]``) is used,
and with neither the SI unit is assumed and a warning says so. ``unix_time_second`` may be a
date-time text column, or numbers with unit ``"s"``, ``"ms"`` or ``"excel"`` (days since
1899-12-30, as Excel and Arbin store dates).

Other options: ``delimiter`` (default: sniffed from the header line), ``header_row`` (1-based;
default: the first line naming every mapped source column, so free-text headers are skipped),
``decimal_comma`` (default: found from the rows when the delimiter is not a comma),
``current_sign`` (``-1`` when the file's positive current discharges),
``counters`` (``"cumulative"``: converted to per step, the default; ``"step"``: already per step).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from analysis.readers import _head, _text
from analysis.readers._units import split_unit, to_si
from analysis.readers.base import Parsed, ParseError, register
from analysis.readers.canonical import COLUMNS, REQUIRED, CounterStyle, finish_cycling

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

QUANTITY = {
    "test_time_second": ("time", "s"),
    "step_time_second": ("time", "s"),
    "voltage_volt": ("voltage", "V"),
    "current_ampere": ("current", "A"),
    "charging_capacity_ah": ("capacity", "Ah"),
    "discharging_capacity_ah": ("capacity", "Ah"),
    "charging_energy_wh": ("energy", "Wh"),
    "discharging_energy_wh": ("energy", "Wh"),
    "temperature_t1_celsius": ("temperature", "degC"),
}


def date_seconds(values: pd.Series, unit: str | None = None) -> npt.NDArray[np.float64]:
    """Unix seconds from date-time text, Excel/OLE day numbers or epoch numbers."""
    if values.dtype.kind in "fiu":
        arr = values.to_numpy(np.float64)
        if unit in ("excel", "ole", "days"):
            return (arr - 25569.0) * 86400.0
        if unit == "ms":
            return arr / 1000.0
        return arr
    if values.dtype.kind == "M" and getattr(values.dtype, "tz", None) is None:
        # Naive datetime64 (pyarrow's timestamps): nanoseconds viewed as integers, divided in
        # one pass (each converted to float64 first, as astype does); NaT (the smallest
        # integer) looked for only when the minimum is one (a pass with no array made).
        ticks = values.to_numpy().astype("datetime64[ns]", copy=False).view(np.int64)
        seconds: npt.NDArray[np.float64] = np.divide(ticks, 1e9)
        nat = np.iinfo(np.int64).min
        if ticks.size and ticks.min() == nat:
            seconds[ticks == nat] = np.nan
        return seconds
    if values.dtype.kind == "M":
        stamps = pd.to_datetime(values)
    else:
        stamps = pd.to_datetime(
            values.astype("string").str.strip(), errors="coerce", format="mixed"
        )
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    ns = stamps.to_numpy("datetime64[ns]").astype(np.int64).astype(np.float64) / 1e9
    return np.where(stamps.isna().to_numpy(), np.nan, ns)


def convert_columns(
    frame: pd.DataFrame,
    mapping: Mapping[str, str],
    units: Mapping[str, str] | None,
    *,
    notes: list[str] | None = None,
    file: str | Path | None = None,
    first_row: int = 1,
    decimal_comma: bool = False,
) -> pd.DataFrame:
    """Select, rename and convert the mapped columns of ``frame`` to canonical SI columns.

    Text that is not a number in a numeric column is a ParseError naming ``file``, the row
    (``first_row`` is the file's line of the frame's first row) and the source column.
    """
    columns = convert_arrays(
        frame,
        mapping,
        units,
        notes=notes,
        file=file,
        first_row=first_row,
        decimal_comma=decimal_comma,
    )
    return pd.DataFrame(columns, copy=False)


def convert_arrays(
    frame: pd.DataFrame,
    mapping: Mapping[str, str],
    units: Mapping[str, str] | None,
    *,
    notes: list[str] | None = None,
    file: str | Path | None = None,
    first_row: int = 1,
    decimal_comma: bool = False,
) -> dict[str, Any]:
    """:func:`convert_columns`' columns as arrays (``{canonical name: float64 array}``), for a
    reader that adds columns before :func:`~analysis.readers.canonical.finish_cycling`: a column
    set on a DataFrame is copied (pandas 3), one put in this dict is not."""
    units = dict(units or {})
    out: dict[str, Any] = {}
    assumed: list[str] = []
    for canonical, source in mapping.items():
        if canonical not in COLUMNS:
            raise ParseError(
                "unknown canonical column in the mapping",
                column=canonical,
                expected=f"one of {', '.join(COLUMNS)}",
            )
        raw = frame[source]
        if canonical == "unix_time_second":
            out[canonical] = date_seconds(raw, units.get(canonical))
            continue

        def number(raw: pd.Series = raw, source: str = source) -> npt.NDArray[np.float64]:
            return _text.to_float(
                raw, file=file, column=source, first_row=first_row, decimal_comma=decimal_comma
            )

        if canonical not in QUANTITY:
            out[canonical] = number()
            continue
        quantity, si = QUANTITY[canonical]
        unit = units.get(canonical) or split_unit(source)[1]
        if unit is None:
            unit = si
            assumed.append(f"{source!r} in {si}")
        if quantity == "time" and raw.dtype.kind not in "fiu":
            from analysis.readers._units import timedelta_seconds

            # Numbers with a stray text (refused by to_float), or durations (HH:MM:SS).
            text = raw.astype("string").str.strip()
            if decimal_comma:
                text = text.str.replace(",", ".", regex=False)
            numeric = pd.to_numeric(text, errors="coerce")
            values = (
                number()
                if 2 * numeric.notna().sum() >= raw.notna().sum()
                else timedelta_seconds(raw, file=file, column=source, first_row=first_row)
            )
            out[canonical] = to_si(values, unit, quantity, column=source)
            continue
        out[canonical] = to_si(number(), unit, quantity, column=source)
    if assumed and notes is not None:
        notes.append("no unit given or in the header; SI assumed for " + ", ".join(assumed))
    return out


def _sniff(name: str, head: bytes) -> bool:
    return False


@register(
    "csv",
    kind="cycling",
    extensions=(".csv", ".txt", ".tsv"),
    sniff=_sniff,
    version="1",
    priority=99,
)
def read_generic_csv(
    path: Path,
    *,
    mapping: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    decimal_comma: bool | None = None,
    current_sign: int = 1,
    counters: CounterStyle = "cumulative",
    **_: Any,
) -> Parsed:
    """Generic delimited cycling table with a user-given column mapping."""
    if not mapping:
        raise ParseError(
            "the generic CSV reader needs a column mapping",
            file=path,
            expected="mapping={canonical column: source column} with " + ", ".join(REQUIRED),
        )
    missing = [c for c in REQUIRED if c not in mapping]
    if missing:
        raise ParseError(
            "the mapping lacks a required column",
            file=path,
            column=missing[0],
            expected="a mapping for " + ", ".join(REQUIRED),
        )
    lines, encoding = _head.head_lines(path)
    sources = list(mapping.values())
    if header_row is None:

        def names_all(line: str) -> bool:
            delim = delimiter or _head.sniff_delimiter(line)
            cells = {c.strip().strip('"') for c in line.split(delim)}
            return all(s in cells for s in sources)

        index = _head.find_header(lines, names_all)
        if index is None:
            best = _head.find_header(
                lines,
                lambda ln: (
                    sum(
                        s in {c.strip() for c in ln.split(delimiter or _head.sniff_delimiter(ln))}
                        for s in sources
                    )
                    >= len(sources) - 1
                    and len(sources) > 1
                ),
            )
            if best is not None:
                delim = delimiter or _head.sniff_delimiter(lines[best])
                cells = [c.strip() for c in lines[best].split(delim)]
                absent = next(s for s in sources if s not in cells)
                canonical = next(k for k, v in mapping.items() if v == absent)
                raise ParseError(
                    f"the column mapped to {canonical} is missing",
                    file=path,
                    row=best + 1,
                    column=absent,
                    expected=f"a column {absent!r} in the header",
                    found=", ".join(c for c in cells if c)[:300],
                )
            raise ParseError(
                "no header line names the mapped columns",
                file=path,
                expected="a line holding " + ", ".join(repr(s) for s in sources),
            )
    else:
        index = header_row - 1
    delim = delimiter or _head.sniff_delimiter(lines[index])
    if decimal_comma is None:
        decimal_comma = _head.decimal_comma_likely(lines[index + 1 :], delim)
    text = _text.read_table(
        path,
        header_index=index,
        delimiter=delim,
        encoding=encoding,
        decimal_comma=decimal_comma,
    )
    notes = list(text.warnings)
    table = convert_columns(
        text.frame,
        mapping,
        units,
        notes=notes,
        file=path,
        first_row=text.first_row,
        decimal_comma=text.decimal_comma,
    )
    if current_sign < 0:
        table["current_ampere"] = -table["current_ampere"]
    return finish_cycling(
        table,
        file=path,
        counters=counters,
        warnings=notes,
        metadata={"mapping": dict(mapping), "header_row": text.header_line},
        first_row=text.first_row,
    )


def read_mapped(
    path: Path,
    *,
    mapping: Mapping[str, str],
    header_index: int,
    delimiter: str,
    encoding: str = "utf-8",
    units: Mapping[str, str] | None = None,
    counters: CounterStyle = "cumulative",
    metadata: Mapping[str, Any] | None = None,
) -> Parsed:
    """Read a vendor table of known layout: the mapped columns that exist are converted.

    For presets (BEEP, NREL batterydata, BDF): optional mapped columns absent from the file are
    skipped; a missing required one is a ParseError naming it.
    """
    text = _text.read_table(path, header_index=header_index, delimiter=delimiter, encoding=encoding)
    present = {k: v for k, v in mapping.items() if v in text.frame.columns}
    for canonical in REQUIRED:
        if canonical not in present:
            raise ParseError(
                f"the column for {canonical} is missing",
                file=path,
                row=text.header_line,
                column=mapping.get(canonical, canonical),
                expected="a column named " + repr(mapping.get(canonical, canonical)),
                found=", ".join(text.frame.columns)[:300],
            )
    notes = list(text.warnings)
    table = convert_columns(
        text.frame, present, units, notes=notes, file=path, first_row=text.first_row
    )
    return finish_cycling(
        table,
        file=path,
        counters=counters,
        warnings=notes,
        metadata=dict(metadata or {}),
        first_row=text.first_row,
    )
