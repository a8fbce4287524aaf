"""Arbin: the ``.res`` database (MITS Pro, an MS Access/Jet 4 file) and CSV/XLSX exports.

Formats ``arbin-res`` and ``arbin``.

Vendor conventions: ``Current`` in A, positive charging (BDF's sign); ``Voltage`` in V;
``Charge_Capacity``/``Discharge_Capacity`` in Ah and ``Charge_Energy``/``Discharge_Energy`` in Wh,
unsigned and cumulative over the cycle or the test depending on the schedule (converted to
cumulative within the step); ``Test_Time``/``Step_Time`` in s; ``DateTime`` as OLE days (days
since 1899-12-30, local time) in ``.res`` files, as text or as unix seconds in exports. The
``Cycle_Index`` is Arbin's, kept as ``cycle_count`` but not trusted: an export of a Li half cell
can keep it at 1 for the whole test.

``.res`` is read with mdbtools' ``mdb-export`` when installed (fast), else with the pure Python
``access-parser`` package (pinned in requirements.txt), so that a plain pip install suffices.
Exports name columns ``Test_Time(s)``, ``Test Time (s)`` or ``Test_Time``; units in the names are
honoured.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from analysis.readers import _head, _text
from analysis.readers._limits import LimitExceeded
from analysis.readers._units import SI_UNIT, split_unit, to_si
from analysis.readers.base import Parsed, ParseError, register
from analysis.readers.canonical import finish_cycling
from analysis.readers.generic_csv import date_seconds

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

_JET_MAGIC = b"Standard Jet DB"
_TABLE = "Channel_Normal_Table"

# normalised Arbin name -> (canonical, quantity or None)
_COLUMNS: dict[str, tuple[str, str | None]] = {
    "testtime": ("test_time_second", "time"),
    "steptime": ("step_time_second", "time"),
    "voltage": ("voltage_volt", "voltage"),
    "current": ("current_ampere", "current"),
    "cycleindex": ("cycle_count", None),
    "stepindex": ("step_index", None),
    "chargecapacity": ("charging_capacity_ah", "capacity"),
    "dischargecapacity": ("discharging_capacity_ah", "capacity"),
    "chargeenergy": ("charging_energy_wh", "energy"),
    "dischargeenergy": ("discharging_energy_wh", "energy"),
    "temperature": ("temperature_t1_celsius", "temperature"),
    "auxtemperature1": ("temperature_t1_celsius", "temperature"),
}
_REQUIRED = ("test_time_second", "voltage_volt", "current_ampere")
_DATE_KEYS = ("datetime", "date")


def _key(name: str) -> str:
    stem = split_unit(name)[0]
    return re.sub(r"[^a-z0-9]", "", stem.lower())


def _sniff_res(name: str, head: bytes) -> bool:
    return head[4:19] == _JET_MAGIC and (name.endswith(".res") or b"Arbin" in head or True)


@register(
    "arbin-res", kind="cycling", extensions=(".res",), sniff=_sniff_res, version="1", priority=10
)
def read_res(path: Path, *, engine: str = "auto", **_: Any) -> Parsed:
    """Arbin .res (MS Access) database.

    ``engine``: ``"auto"`` (mdbtools when installed, else access-parser), ``"mdbtools"`` or
    ``"access-parser"``.
    """
    notes: list[str] = []
    use_mdbtools = engine == "mdbtools" or (engine == "auto" and shutil.which("mdb-export"))
    frame = _res_mdbtools(path) if use_mdbtools else None
    if frame is None and engine == "mdbtools":
        raise ParseError("mdb-export (mdbtools) is not installed or failed on this file", file=path)
    # Which engine read the database is part of the provenance: mdb-export prints Single
    # (float32) columns with 8 significant digits, access-parser gives their exact binary
    # value, so the two can differ in the 8th digit (far below any instrument's resolution).
    meta: dict[str, Any] = {"engine": "mdbtools" if frame is not None else "access-parser"}
    if frame is None:
        try:
            from access_parser import AccessParser  # type: ignore[import-untyped]
        except ImportError as exc:  # pragma: no cover - pinned in requirements.txt
            raise ParseError(
                "reading Arbin .res needs mdbtools (mdb-export) or the access-parser package",
                file=path,
            ) from exc
        try:
            db = AccessParser(str(path))
            if _TABLE not in db.catalog:
                raise ParseError(
                    "not an Arbin results database",
                    file=path,
                    expected=f"a table {_TABLE}",
                    found=", ".join(k for k in db.catalog if not k.startswith("MSys")),
                )
            frame = pd.DataFrame(db.parse_table(_TABLE))
            info = db.parse_table("Global_Table") if "Global_Table" in db.catalog else {}
            for key in (
                "Test_Name",
                "Schedule_File_Name",
                "Serial_Number",
                "Channel_Index",
                "MASS",
            ):
                if info.get(key):
                    meta[key.lower()] = info[key][0]
        except ParseError:
            raise
        except Exception as exc:
            raise ParseError(f"the Access database cannot be read ({exc})", file=path) from exc
    if "Data_Point" in frame.columns:
        frame = frame.sort_values("Data_Point", kind="stable").reset_index(drop=True)
    table = _arbin_table(frame, path, notes, first_row=1)
    if "DateTime" in frame.columns:
        days = _text.to_float(frame["DateTime"], file=path, column="DateTime", first_row=1)
        table["unix_time_second"] = date_seconds(pd.Series(days), "excel")
    return finish_cycling(table, file=path, warnings=notes, metadata=meta)


def _res_mdbtools(path: Path) -> pd.DataFrame | None:
    try:
        out = subprocess.run(
            ["mdb-export", "-D", "%Y-%m-%d %H:%M:%S", str(path), _TABLE],
            capture_output=True,
            check=True,
            timeout=600,
        ).stdout
    except (subprocess.SubprocessError, OSError):
        return None
    return pd.read_csv(io.BytesIO(out), engine="pyarrow")


def _arbin_table(frame: pd.DataFrame, path: Path, notes: list[str], first_row: int) -> pd.DataFrame:
    table: dict[str, Any] = {}
    for col in frame.columns:
        key = _key(str(col))
        if key not in _COLUMNS:
            continue
        canonical, quantity = _COLUMNS[key]
        if canonical in table:
            continue
        values = _text.to_float(frame[col], file=path, column=str(col), first_row=first_row)
        if quantity is None:
            table[canonical] = values
        else:
            unit = split_unit(str(col))[1] or SI_UNIT[quantity]
            table[canonical] = to_si(values, unit, quantity, column=str(col))
    for canonical, name in (
        ("test_time_second", "Test_Time"),
        ("voltage_volt", "Voltage"),
        ("current_ampere", "Current"),
    ):
        if canonical not in table:
            raise ParseError(
                "an Arbin column is missing",
                file=path,
                row=max(first_row - 1, 1),
                column=name,
                expected=f"a column {name}",
                found=", ".join(map(str, frame.columns))[:300],
            )
    return pd.DataFrame(table, copy=False)


def _read_csv(path: Path, delimiter: str, encoding: str) -> _text.TextTable:
    """The export's table, with only the columns the canonical table takes.

    Fast path: the columns that map to canonical columns (and the date), numbers parsed
    straight to float64 (no type inference, no Data_Point; see ``_text.read_table``'s typed
    path); a date column whose first rows pyarrow reads as timestamps (ISO 8601 text) is parsed
    as such, one that reads as numbers (unix seconds, OLE days) as float64, without inference;
    any other date text is left to inference as in the general path. Anything unusual (a value
    that is not a number or not a timestamp like the first rows, a missing required column,
    duplicated names) reads the whole table as before, so that errors, warnings and values
    are the general path's.
    """
    names = _text.header_names(path, header_index=0, delimiter=delimiter, encoding=encoding)
    keys = [_key(n.strip().strip('"').strip()) for n in names]
    wanted = [n for n, k in zip(names, keys, strict=True) if k in _COLUMNS or k in _DATE_KEYS]
    found = {_COLUMNS[k][0] for k in keys if k in _COLUMNS}
    if wanted and len(set(names)) == len(names) and set(_REQUIRED) <= found:
        types = {n: pa.float64() for n, k in zip(names, keys, strict=True) if k in _COLUMNS}
        dates = [n for n, k in zip(names, keys, strict=True) if k in _DATE_KEYS]
        if dates:
            sampled = _text.sample_types(
                path, header_index=0, delimiter=delimiter, columns=dates, encoding=encoding
            )
            for name, kind in sampled.items():
                if isinstance(kind, pa.TimestampType):
                    types[name] = pa.timestamp("ns", tz=kind.tz)
                elif pa.types.is_integer(kind) or pa.types.is_floating(kind):
                    types[name] = pa.float64()  # unix seconds or OLE days (date_seconds)
        try:
            return _text.read_table(
                path,
                header_index=0,
                delimiter=delimiter,
                encoding=encoding,
                column_types=types,
                include_columns=wanted,
                block_size=_text.TYPED_BLOCK_BYTES,
            )
        except LimitExceeded:
            raise
        except ParseError:
            pass  # not plain numbers: the general path names the row and value
    return _text.read_table(path, header_index=0, delimiter=delimiter, encoding=encoding)


def _is_arbin_header(line: str) -> bool:
    keys = {_key(c.strip().strip('"')) for c in re.split(r"[,;\t]", line)}
    return {"testtime", "cycleindex", "current", "voltage"} <= keys and (
        "datapoint" in keys or "steptime" in keys
    )


def _sniff_csv(name: str, head: bytes) -> bool:
    first = head.split(b"\n", 1)[0].decode("latin-1")
    return _is_arbin_header(first)


@register(
    "arbin",
    kind="cycling",
    extensions=(".csv", ".xlsx"),
    sniff=_sniff_csv,
    version="1",
    priority=30,
)
def read_arbin_export(path: Path, **_: Any) -> Parsed:
    """Arbin CSV or XLSX export (MITS Pro data sheets)."""
    notes: list[str] = []
    if path.suffix.lower() in (".xlsx", ".xls"):
        sheets = pd.read_excel(path, sheet_name=None)
        data = [s for s in sheets.values() if _is_arbin_header(",".join(map(str, s.columns)))]
        if not data:
            raise ParseError(
                "no sheet holds Arbin channel data",
                file=path,
                expected="a sheet with Test_Time, Cycle_Index, Current, Voltage columns",
                found=", ".join(sheets),
            )
        frame = pd.concat(data, ignore_index=True) if len(data) > 1 else data[0]
        if len(data) > 1:
            notes.append(f"{len(data)} data sheets concatenated (Arbin splits long tests)")
        first_row = 2
    else:
        lines, enc = _head.head_lines(path, 16 * 1024)
        text = _read_csv(path, _head.sniff_delimiter(lines[0]), enc)
        frame, first_row = text.frame, text.first_row
        notes += text.warnings
    table = _arbin_table(frame, path, notes, first_row)
    date_col = next((c for c in frame.columns if _key(str(c)) in _DATE_KEYS), None)
    if date_col is not None:
        dates = frame[date_col]
        if dates.dtype.kind in "fiu":
            unit = "s" if float(np.nanmedian(dates)) > 1e8 else "excel"
            table["unix_time_second"] = date_seconds(dates, unit)
        else:
            table["unix_time_second"] = date_seconds(dates)
    return finish_cycling(table, file=path, warnings=notes, first_row=first_row)
