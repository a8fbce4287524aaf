"""Landt (LANHE/LANDdt) CSV and XLSX exports of the record table.

Format ``landt``. Columns carry their unit after a slash: ``TestTime/s`` (or ``TestTime`` as
``HH:MM:SS``), ``StepTime``, ``Current/mA`` (or ``/A``/``/uA``), ``Voltage/V`` (or ``/mV``),
``Capacity/mAh``, ``Energy/mWh``, ``SysTime``/``RealTime``, ``Cycle``, ``Step`` and ``State``.
Vendor conventions: current signed, negative discharging (BDF's sign); capacity and energy
unsigned and restarting every step (split into charging and discharging by the step's current
sign). Converted: units to SI, times to seconds, the wall clock to unix seconds.
The record table as published with the Battery Data Format's example data is read too
(:data:`TABLE_LAYOUT`: ``key:`` lines, then ``test_time_s, current_A, voltage_V...`` with a
trailing comma on every row). Both layouts are tested on files the simulator writes
(:mod:`analysis.simulate.writers.landt`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from analysis.readers import _head, _text
from analysis.readers._durations import wall_clock_seconds
from analysis.readers._limits import LimitExceeded
from analysis.readers._units import timedelta_seconds, to_si
from analysis.readers.base import Parsed, ParseError, register
from analysis.readers.canonical import (
    UNITS,
    finish_cycling,
    split_by_direction,
    step_signs,
    step_starts,
)
from analysis.readers.generic_csv import date_seconds

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd


def _split(col: str) -> tuple[str, str | None]:
    name, _, unit = str(col).partition("/")
    return re.sub(r"[^a-z0-9]", "", name.lower()), (unit.strip() or None)


def is_landt_header(cells: list[str]) -> bool:
    keys = {_split(c)[0] for c in cells}
    return (
        {"testtime", "current", "voltage"} <= keys
        and ("capacity" in keys or "specap" in keys)
        and any("/" in c for c in cells)
    )


#: The record table as published with the Battery Data Format's example data (a Landt test
#: converted by SINTEF): canonical column -> source column. Counters unsigned, per step.
TABLE_LAYOUT = {
    "test_time_second": "test_time_s",
    "step_time_second": "step_time_s",
    "voltage_volt": "voltage_V",
    "current_ampere": "current_A",
    "cycle_count": "cycle_index",
    "step_index": "step_index",
    "charging_capacity_ah": "charge_capacity_Ah",
    "discharging_capacity_ah": "discharge_capacity_Ah",
    "charging_energy_wh": "charge_energy_Wh",
    "discharging_energy_wh": "discharge_energy_Wh",
    "temperature_t1_celsius": "temperature_1_C",
}
_TABLE_KEYS = {"test_time_s", "current_A", "voltage_V", "cycle_index", "step_index"}


def _table_header(lines: list[str]) -> int | None:
    """0-based line of the published layout's header: within the first 30 lines, after ``key:``
    lines (cell model, cell id, test, checkpoint, nominal capacity and energy)."""
    return _head.find_header(
        lines[:30], lambda ln: {c.strip() for c in ln.split(",")} >= _TABLE_KEYS
    )


def _sniff(name: str, head: bytes) -> bool:
    first = head.split(b"\n", 1)[0].decode("latin-1").strip()
    if is_landt_header(first.split(_head.sniff_delimiter(first))):
        return True
    return _table_header(head.decode("latin-1").splitlines()) is not None


@register(
    "landt", kind="cycling", extensions=(".csv", ".xlsx"), sniff=_sniff, version="1", priority=30
)
def read_landt(path: Path, **_: Any) -> Parsed:
    """Landt CSV or XLSX export (record table)."""
    notes: list[str] = []
    if path.suffix.lower() in (".xlsx", ".xls"):
        sheets = pd.read_excel(path, sheet_name=None)
        frame = next(
            (s for s in sheets.values() if is_landt_header([str(c) for c in s.columns])), None
        )
        if frame is None:
            raise ParseError(
                "no sheet holds Landt's record table",
                file=path,
                expected="a sheet with TestTime, Current/..., Voltage/..., Capacity/...",
                found=", ".join(sheets),
            )
        first_row = 2
    else:
        lines, enc = _head.head_lines(path, 16 * 1024)
        published = _table_header(lines)
        if published is not None and not is_landt_header(lines[0].split(",")):
            return _read_published(path, lines, published, enc)
        text = _read_csv(path, lines, enc)
        frame, first_row = text.frame, text.first_row
        notes += text.warnings
    cols = {_split(c)[0]: str(c) for c in frame.columns}

    def values(key: str, quantity: str, default_unit: str) -> Any:
        col = cols[key]
        unit = _split(col)[1] or default_unit
        if quantity == "time":
            seconds = timedelta_seconds(frame[col], file=path, column=col, first_row=first_row)
            return to_si(seconds, unit, "time", column=col)
        return to_si(number(col), unit, quantity, column=col)

    def number(col: str) -> Any:
        return _text.to_float(frame[col], file=path, column=col, first_row=first_row)

    for key in ("testtime", "voltage", "current"):
        if key not in cols:
            raise ParseError(
                "a Landt column is missing",
                file=path,
                row=first_row - 1,
                column=key,
                expected="TestTime, Voltage/V, Current/mA",
                found=", ".join(map(str, frame.columns)),
            )
    # Columns as arrays, made a DataFrame once by finish_cycling (no copy per column).
    table: dict[str, Any] = {
        "test_time_second": values("testtime", "time", "s"),
        "voltage_volt": values("voltage", "voltage", "V"),
        "current_ampere": values("current", "current", "mA"),
    }
    if "steptime" in cols:
        table["step_time_second"] = values("steptime", "time", "s")
    for key, canonical in (("cycle", "cycle_count"), ("step", "step_index")):
        if key in cols:
            table[canonical] = number(cols[key])
    clock = cols.get("systime") or cols.get("realtime")
    if clock is not None:
        table["unix_time_second"] = date_seconds(frame[clock])
    starts = step_starts(table)
    signs = step_signs(table["current_ampere"], starts)  # once for both counters
    for key, stem, quantity, unit in (
        ("capacity", "capacity_ah", "capacity", "mAh"),
        ("energy", "energy_wh", "energy", "mWh"),
    ):
        if key in cols:
            chg, dchg = split_by_direction(
                values(key, quantity, unit), table["current_ampere"], starts, signs=signs
            )
            table[f"charging_{stem}"] = chg
            table[f"discharging_{stem}"] = dchg
    return finish_cycling(table, file=path, counters="step", warnings=notes, first_row=first_row)


#: The columns the reader converts (keys of :func:`_split`); Record, State and any other are
#: not parsed on the typed path.
_CONVERTED = frozenset(
    {"testtime", "steptime", "voltage", "current", "cycle", "step", "capacity", "energy"}
    | {"systime", "realtime"}
)
#: Those that hold numbers in every export: the times too when their header gives a unit
#: (``TestTime/s``); without one they may be ``HH:MM:SS`` texts.
_NUMBERS = frozenset({"voltage", "current", "cycle", "step", "capacity", "energy"})
_TIMES = frozenset({"testtime", "steptime"})
_CLOCKS = frozenset({"systime", "realtime"})


def _read_csv(path: Path, lines: list[str], encoding: str) -> _text.TextTable:
    """The LANHE record table. Fast path: only the columns the reader converts, their numbers
    parsed straight to float64 (no type inference) and a wall clock whose first rows pyarrow
    reads as timestamps parsed as such; anything unusual (a text that is not a number or not
    such a timestamp, duplicated names, a required column missing) reads the whole table with
    inference, whose errors name the row and value (as ``arbin._read_csv``)."""
    delimiter = _head.sniff_delimiter(lines[0])
    options: dict[str, Any] = {
        "header_index": 0,
        "delimiter": delimiter,
        "encoding": encoding,
        "decimal_comma": _head.decimal_comma_likely(lines[1:], delimiter),
    }
    names = _text.header_names(path, header_index=0, delimiter=delimiter, encoding=encoding)
    split = [_split(n) for n in names]
    keys = [key for key, _ in split]
    if len(set(keys)) == len(keys) and {"testtime", "voltage", "current"} <= set(keys):
        types: dict[str, Any] = {
            name: pa.float64()
            for name, (key, unit) in zip(names, split, strict=True)
            if key in _NUMBERS or (key in _TIMES and unit is not None)
        }
        clocks = [name for name, key in zip(names, keys, strict=True) if key in _CLOCKS]
        if clocks:
            sampled = _text.sample_types(
                path, header_index=0, delimiter=delimiter, columns=clocks, encoding=encoding
            )
            for name, kind in sampled.items():
                if isinstance(kind, pa.TimestampType):
                    types[name] = pa.timestamp("ns", tz=kind.tz)
        try:
            return _text.read_table(
                path,
                column_types=types,
                include_columns=[n for n, k in zip(names, keys, strict=True) if k in _CONVERTED],
                block_size=_text.TYPED_BLOCK_BYTES,
                **options,
            )
        except LimitExceeded:
            raise
        except ParseError:
            pass  # not plain numbers or timestamps: the general path names the row and value
    return _text.read_table(path, **options)


def _read_published(path: Path, lines: list[str], header: int, encoding: str) -> Parsed:
    """The layout of :data:`TABLE_LAYOUT`, with its ``key: value`` lines as metadata."""
    from analysis.readers.generic_csv import convert_arrays

    text = _text.read_table(path, header_index=header, delimiter=",", encoding=encoding)
    frame = text.frame
    present = {k: v for k, v in TABLE_LAYOUT.items() if v in frame.columns}
    table = convert_arrays(frame, present, UNITS, file=path, first_row=text.first_row)
    if "date_time_iso_string" in frame.columns:
        table["unix_time_second"] = wall_clock_seconds(
            frame["date_time_iso_string"], "%m/%d/%Y %H:%M:%S"
        )
    meta: dict[str, Any] = {"layout": "bdf-example"}
    for line in lines[:header]:
        key, sep, value = line.split(",", 1)[0].partition(":")
        if sep and key.strip():
            meta[key.strip()] = value.strip()
    return finish_cycling(
        table, file=path, warnings=text.warnings, metadata=meta, first_row=text.first_row
    )
