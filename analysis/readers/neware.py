"""Neware BTS: binary ``.nda``/``.ndax`` (through fastnda) and BTSDA CSV/XLSX exports.

Formats ``neware-nda`` and ``neware-csv``.

Vendor conventions: capacity and energy are counted per step and unsigned in the exports
(``Capacity``, ``Chg. Cap.``, ``DChg. Cap.``; fastnda gives a signed ``step_net_capacity_ah``);
the step's direction is its current's sign (discharge current is negative, so the sign is
already BDF's). Units are written in the headers and vary between exports (A, mA or uA; V or
mV; Ah, mAh or mAs). ``Time`` is the step time and ``Total Time``/``Cumulative Time`` the test
time, both as ``HH:MM:SS[.fff]``; Neware resets Total Time at some step boundaries, repaired by
:func:`finish_cycling`. ``Cycle Index`` is kept as ``cycle_count``.

Converted: mA/uA to A, mV to V, mAh/mAs to Ah, mWh/mWs to Wh, durations to seconds, ``Date`` to
unix seconds (local time of the instrument, taken as UTC), capacity split into charging and
discharging by step direction.

Corrupt files: fastnda logs and carries on when parts of an ``.ndax`` archive are damaged (e.g.
an undecodable TestInfo.xml drops the auxiliary temperature channels). That is refused by
default with a :class:`ParseError`; ``on_damage="warn"`` reads what is left and records the
damage in the warnings.
"""

from __future__ import annotations

import logging
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from analysis.readers import _head, _text
from analysis.readers._limits import copy_bounded, limits
from analysis.readers._units import split_unit, timedelta_seconds, to_si
from analysis.readers.base import Parsed, ParseError, register
from analysis.readers.canonical import finish_cycling, split_by_direction, step_starts
from analysis.readers.generic_csv import date_seconds

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

_NDA_MAGIC = b"NEWARE"


def _zip_members(head: bytes) -> bytes:
    return head[:4096]


def _sniff_nda(name: str, head: bytes) -> bool:
    if head.startswith(_NDA_MAGIC):
        return True
    if head.startswith(b"PK\x03\x04"):
        # .ndax is a zip holding data.ndc and Step.xml; a zipped .nda holds a *.nda member.
        return (
            b"data.ndc" in head
            or b"Step.xml" in head
            or (b".nda" in head and name.endswith(".zip"))
        )
    return False


class _Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage().splitlines()[0])


@register(
    "neware-nda",
    kind="cycling",
    extensions=(".nda", ".ndax", ".zip"),
    sniff=_sniff_nda,
    version="1",
    priority=10,
)
def read_nda(path: Path, *, on_damage: str = "error", **_: Any) -> Parsed:
    """Neware binary .nda/.ndax (also a .nda inside a .zip)."""
    if zipfile.is_zipfile(path) and path.suffix.lower() != ".ndax":
        try:
            archive = zipfile.ZipFile(path)
        except (NotImplementedError, UnicodeDecodeError, ValueError) as exc:
            # zipfile refuses an unsupported ZIP version or a damaged directory this way
            # (found by bench/fuzz.py)
            raise ParseError(f"a damaged or unsupported zip archive: {exc}", file=path) from exc
        with archive as zf:
            names = [n for n in zf.namelist() if n.lower().endswith((".nda", ".ndax"))]
            if "data.ndc" in zf.namelist():
                names = []
            if names:
                with tempfile.TemporaryDirectory() as tmp:
                    # Streamed within the reader limits (the archive's declared sizes were
                    # checked before: analysis.readers._limits).
                    inner = Path(tmp) / Path(names[0]).name
                    with zf.open(names[0]) as member, inner.open("wb") as target:
                        copy_bounded(member, target, bounds=limits(), path=path)
                    parsed = _read_nda_file(inner, on_damage=on_damage, shown=path)
                return Parsed(
                    parsed.table,
                    parsed.warnings,
                    {**parsed.metadata, "archive_member": names[0]},
                )
        if "data.ndc" not in zipfile.ZipFile(path).namelist():
            raise ParseError("a zip archive without a Neware .nda/.ndax inside", file=path)
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / (path.stem + ".ndax")
            copy.write_bytes(path.read_bytes())
            return _read_nda_file(copy, on_damage=on_damage, shown=path)
    return _read_nda_file(path, on_damage=on_damage, shown=path)


def _read_nda_file(path: Path, *, on_damage: str, shown: Path) -> Parsed:
    import fastnda

    capture = _Captured()
    logger = logging.getLogger("fastnda")
    logger.addHandler(capture)
    try:
        frame = fastnda.read(path, cycle_mode="raw", columns="bdf")
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(
            f"fastnda cannot read this Neware file ({type(exc).__name__}: {exc})",
            file=shown,
            expected="an intact .nda/.ndax file",
        ) from exc
    finally:
        logger.removeHandler(capture)
    meta: dict[str, Any] = {}
    version = _client_version(path)
    if version:
        meta["software_version"] = version
    return nda_table(frame.to_pandas(), capture.messages, shown, on_damage=on_damage, meta=meta)


def _client_version(path: Path) -> str | None:
    """The BTS client version an .ndax records in its step file (``BTS Client 8.0.1.492...``)."""
    if not zipfile.is_zipfile(path):
        return None
    import fastnda

    try:
        info = fastnda.read_metadata(path)
    except Exception:  # metadata is a bonus: the table is what the reader answers for
        return None
    step = info.get("EditStep") if isinstance(info, dict) else None
    version = step.get("client_version") if isinstance(step, dict) else None
    return str(version) if version else None


#: What fastnda logs when the wall clock of an .ndax runs backwards (a clock set back during the
#: test, seen in recent BTS versions): not damage; the relative time is used instead.
_CLOCK_JUMP = "negative jumps in the 'unix_time_s' column"


def nda_table(
    frame: pd.DataFrame,
    messages: list[str],
    shown: Path,
    *,
    on_damage: str = "error",
    meta: dict[str, Any] | None = None,
) -> Parsed:
    """The canonical table of fastnda's BDF-named ``frame``; ``messages`` are what fastnda
    logged while reading (damage, unless it is the wall clock running backwards)."""
    meta = dict(meta or {})
    damage = [m for m in messages if _CLOCK_JUMP not in m]
    if damage and on_damage != "warn":
        raise ParseError(
            "the Neware file is damaged: " + "; ".join(damage),
            file=shown,
            expected="an intact archive (pass on_damage='warn' to read what is left)",
        )
    notes = [f"damaged file, read what is left: {m}" for m in damage]
    table = pd.DataFrame(
        {
            "test_time_second": frame["test_time_second"].to_numpy(np.float64),
            "voltage_volt": frame["voltage_volt"].to_numpy(np.float64),
            "current_ampere": frame["current_ampere"].to_numpy(np.float64),
            "unix_time_second": frame["unix_time_second"].to_numpy(np.float64),
            "step_time_second": frame["step_time_second"].to_numpy(np.float64),
            "cycle_count": frame["cycle_count"].to_numpy(np.float64),
            "step_count": frame["step_count"].to_numpy(np.float64),
            "step_index": frame["step_id"].to_numpy(np.float64),
        }
    )
    unix = table["unix_time_second"].to_numpy()
    back = np.flatnonzero(np.diff(unix) < 0)
    if len(back):
        # The instrument's clock was set back: the wall clock no longer orders the rows. The
        # test time (the channel's own relative time) does; the wall clock is not used.
        meta["wall_clock_jumps"] = [
            {"row": int(i) + 2, "jump_s": float(unix[i + 1] - unix[i])} for i in back[:100]
        ]
        meta["start_unix_time_second"] = float(unix[0])
        notes.append(
            f"row {int(back[0]) + 2}: the wall clock (unix time) jumps backwards at "
            f"{len(back)} row(s) (largest {float(-np.diff(unix)[back].min()):.6g} s); the test "
            "time is used and the unix-time column is dropped"
        )
        table = table.drop(columns=["unix_time_second"])
    starts = step_starts(table)
    current = table["current_ampere"].to_numpy()
    for counter, stem in (
        ("step_net_capacity_ah", "capacity_ah"),
        ("step_net_energy_wh", "energy_wh"),
    ):
        chg, dchg = split_by_direction(frame[counter].to_numpy(np.float64), current, starts)
        table[f"charging_{stem}"] = chg
        table[f"discharging_{stem}"] = dchg
    temps = [c for c in frame.columns if c.endswith("temperature_celsius") and "setpoint" not in c]
    if temps:
        table["temperature_t1_celsius"] = frame[temps[0]].to_numpy(np.float64)
    meta["step_types"] = sorted(map(str, frame["step_type"].unique()))
    return finish_cycling(table, file=shown, counters="step", warnings=notes, metadata=meta)


_CSV_KEYS = ("Step Type", "Voltage(", "Current(")
_DURATION_STEMS = {"Time", "Total Time", "Cumulative Time"}


def _is_neware_header(line: str) -> bool:
    return all(k in line for k in _CSV_KEYS) and (
        "Total Time" in line or "Cumulative Time" in line or "Time" in line
    )


def _sniff_csv(name: str, head: bytes) -> bool:
    if head.startswith(b"PK\x03\x04"):
        return name.endswith(".xlsx") and b"xl/" in head and False
    first = head.removeprefix(_head.BOM).split(b"\n", 1)[0].decode("latin-1")
    return _is_neware_header(first) and ("DataPoint" in first or "Cycle Index" in first)


@register(
    "neware-csv",
    kind="cycling",
    extensions=(".csv", ".xlsx"),
    sniff=_sniff_csv,
    version="1",
    priority=30,
)
def read_neware_csv(path: Path, **_: Any) -> Parsed:
    """Neware BTSDA CSV or XLSX export (the record table)."""
    notes: list[str] = []
    if path.suffix.lower() in (".xlsx", ".xls"):
        sheets = pd.read_excel(path, sheet_name=None)
        frame = next(
            (s for s in sheets.values() if _is_neware_header(",".join(map(str, s.columns)))), None
        )
        if frame is None:
            raise ParseError(
                "no sheet holds Neware's record table",
                file=path,
                expected="a sheet with Step Type, Voltage(...), Current(...) columns",
                found=", ".join(sheets),
            )
        first_row = 2
    else:
        lines, enc = _head.head_lines(path, 16 * 1024)
        delimiter = _head.sniff_delimiter(lines[0])
        names = _text.header_names(path, header_index=0, delimiter=delimiter, encoding=enc)
        # Durations stay text: pyarrow would take "00:01:00" for a time of day, and then refuse
        # "24:00:01" further down the file.
        durations = [n for n in names if split_unit(n)[0] in _DURATION_STEMS]
        text = _text.read_table(
            path,
            header_index=0,
            delimiter=delimiter,
            encoding=enc,
            decimal_comma=_head.decimal_comma_likely(lines[1:], delimiter),
            column_types={n: pa.string() for n in durations},
        )
        frame, first_row = text.frame, text.first_row
        notes += text.warnings
    return _neware_table(frame, path, notes, first_row)


def _find(frame: pd.DataFrame, stem: str) -> str | None:
    for col in frame.columns:
        if split_unit(str(col))[0].lower() == stem.lower():
            return str(col)
    return None


def _neware_table(frame: pd.DataFrame, path: Path, notes: list[str], first_row: int) -> Parsed:
    def need(stem: str) -> str:
        col = _find(frame, stem)
        if col is None:
            raise ParseError(
                f"Neware column {stem!r} is missing",
                file=path,
                row=first_row - 1,
                column=stem,
                expected=f"a column {stem}(unit)",
                found=", ".join(map(str, frame.columns))[:300],
            )
        return col

    volt, amp = need("Voltage"), need("Current")
    total = _find(frame, "Total Time") or _find(frame, "Cumulative Time")
    if total is None:
        raise ParseError(
            "no test-time column",
            file=path,
            row=first_row - 1,
            column="Total Time",
            expected="Total Time or Cumulative Time",
        )

    def number(col: str) -> npt.NDArray[np.float64]:
        return _text.to_float(frame[col], file=path, column=col, first_row=first_row)

    def duration(col: str) -> npt.NDArray[np.float64]:
        return timedelta_seconds(frame[col], file=path, column=col, first_row=first_row)

    # Columns as arrays, made a DataFrame once by finish_cycling (no copy per column).
    table: dict[str, npt.NDArray[np.float64]] = {
        "test_time_second": duration(total),
        "voltage_volt": to_si(number(volt), split_unit(volt)[1] or "V", "voltage", column=volt),
        "current_ampere": to_si(number(amp), split_unit(amp)[1] or "A", "current", column=amp),
    }
    if (step_time := _find(frame, "Time")) is not None:
        table["step_time_second"] = duration(step_time)
    for stem, canonical in (("Cycle Index", "cycle_count"), ("Step Index", "step_index")):
        if (col := _find(frame, stem)) is not None:
            table[canonical] = number(col)
    if "Date" in frame.columns:
        table["unix_time_second"] = date_seconds(frame["Date"])
    if "step_index" in table:
        idx = table["step_index"]
        table["step_count"] = np.cumsum(np.r_[True, idx[1:] != idx[:-1]]).astype(np.float64)
    for stem, canonical, quantity in (
        ("Chg. Cap.", "charging_capacity_ah", "capacity"),
        ("DChg. Cap.", "discharging_capacity_ah", "capacity"),
        ("Chg. Energy", "charging_energy_wh", "energy"),
        ("DChg. Energy", "discharging_energy_wh", "energy"),
    ):
        if (col := _find(frame, stem)) is not None:
            unit = split_unit(col)[1] or ("Ah" if quantity == "capacity" else "Wh")
            table[canonical] = to_si(number(col), unit, quantity, column=col)
    temp = _find(frame, "T1") or _find(frame, "Temperature")
    if temp is not None:
        table["temperature_t1_celsius"] = number(temp)
    return finish_cycling(table, file=path, counters="step", warnings=notes, first_row=first_row)
