"""BioLogic EC-Lab/BT-Lab: binary ``.mpr`` (through galvani) and text ``.mpt``/``.csv`` exports.

Formats ``biologic-mpr`` and ``biologic-mpt``.

A BioLogic file holds whatever technique ran: cycling (GCPL, MB, OCV...) or impedance (PEIS,
GEIS). When most rows carry a frequency the file is a spectrum and goes to
:func:`analysis.readers._biologic_eis.biologic_eis_table` (kind ``eis``); otherwise it is read as
cycling and any EIS points interleaved in a cycling run are counted in ``metadata``.

Vendor conventions: ``time/s`` from the start of the experiment (text exports may write it as a
date-time instead); ``Ewe/V`` (or ``Ecell/V``) in V; ``I/mA`` in mA, positive = oxidation at the
working electrode, i.e. charging a cell whose positive electrode is the working electrode
(BDF's sign, unchanged). Charge counters: ``(Q-Qo)/mA.h`` is the net charge since the start
(signed, continuous); ``Q charge/discharge/mA.h`` restarts every half cycle. ``Ns`` is the
sequence (step) number, kept as ``step_index``; ``cycle number`` is kept as ``cycle_count``.

Converted: mA to A, mA.h to Ah, W.h stays Wh, the step's charge from ``(Q-Qo)`` differences
(cumulative within the step) split by the step's current sign. Files without a current column:
the current is derived from ``dq/mA.h`` over the time step when present (with a warning), and is
0 A for open-circuit techniques (with a warning).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from analysis.readers import _head, _text
from analysis.readers.base import Parsed, ParseError, register
from analysis.readers.canonical import finish_cycling, split_by_direction, step_starts
from analysis.readers.generic_csv import date_seconds

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

_MPR_MAGIC = b"BIO-LOGIC MODULAR FILE"
_MPT_MAGIC = b"EC-Lab ASCII FILE"


def is_eis(raw: pd.DataFrame) -> bool:
    """True when most rows of a BioLogic table carry an impedance point (frequency > 0)."""
    freq = [c for c in raw.columns if str(c).startswith("freq")]
    if not freq:
        return bool([c for c in raw.columns if str(c).startswith("Re(Z)")]) and "I/mA" not in raw
    values = pd.to_numeric(raw[freq[0]], errors="coerce").to_numpy(np.float64)
    return bool(np.mean(np.isfinite(values) & (values > 0)) >= 0.5)


def _to_eis(raw: pd.DataFrame, path: Path, metadata: dict[str, Any]) -> Parsed:
    import importlib

    # Written by the EIS side (analysis/readers/_biologic_eis.py); imported lazily.
    module = importlib.import_module("analysis.readers._biologic_eis")
    result: Parsed = module.biologic_eis_table(raw, file=path, metadata=metadata)
    return result


def _sniff_mpr(name: str, head: bytes) -> bool:
    return head.startswith(_MPR_MAGIC)


@register(
    "biologic-mpr", kind="cycling", extensions=(".mpr",), sniff=_sniff_mpr, version="2", priority=10
)
def read_mpr(path: Path, **_: Any) -> Parsed:
    """BioLogic EC-Lab binary .mpr (cycling, or impedance handed to the EIS side)."""
    from galvani import BioLogic

    try:
        mpr = BioLogic.MPRfile(str(path))
    except Exception as exc:
        raise ParseError(
            f"galvani cannot read this .mpr ({type(exc).__name__}: {exc})",
            file=path,
            expected="an EC-Lab .mpr file with a data module",
        ) from exc
    raw = pd.DataFrame({name: mpr.data[name] for name in mpr.data.dtype.names})
    meta: dict[str, Any] = {}
    start = getattr(mpr, "timestamp", None)
    if start is not None:
        meta["start"] = pd.Timestamp(start).isoformat()
    start_unix = pd.Timestamp(start).timestamp() if start is not None else None
    mixed = _mixed(raw, path, meta, start_unix, 1, [], False)
    if mixed is not None:
        return mixed
    if is_eis(raw):
        return _to_eis(raw, path, meta)
    return biologic_cycling(raw, path=path, metadata=meta, start_unix=start_unix, first_row=1)


def _mixed(
    raw: pd.DataFrame,
    path: Path,
    meta: dict[str, Any],
    start_unix: float | None,
    first_row: int,
    warnings: list[str],
    decimal_comma: bool,
) -> Parsed | None:
    """Both tables of a file mixing DC rows and impedance loops
    (:mod:`analysis.readers._biologic_mixed`), None for a file of one technique."""
    from analysis.readers import _biologic_mixed as mixed

    rows = mixed.impedance_rows(raw, path=path, first_row=first_row)
    if not mixed.is_mixed(rows, raw):
        return None
    return mixed.read_mixed(
        raw,
        rows,
        path=path,
        metadata=meta,
        first_row=first_row,
        decimal_comma=decimal_comma,
        cycling=lambda dc: biologic_cycling(
            dc,
            path=path,
            metadata=meta,
            start_unix=start_unix,
            first_row=first_row,
            warnings=warnings,
            decimal_comma=decimal_comma,
        ),
    )


def parse_mpt(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The data table of an EC-Lab text export with BioLogic's column names, and its header.

    Handles ``.mpt`` (``EC-Lab ASCII FILE`` + ``Nb header lines``, tab separated, decimal point
    or comma) and header-less ``;``/tab separated exports whose first line names the columns.
    The metadata has ``technique`` (first header line after the magic), ``header_lines``,
    ``start`` (the ``Acquisition started on`` text) and ``first_row`` (file line of data row 1).
    """
    path = Path(path)
    lines, encoding = _head.head_lines(path, 256 * 1024)
    meta: dict[str, Any] = {}
    if lines and lines[0].startswith(_MPT_MAGIC.decode()):
        m = re.search(r"Nb header lines\s*:\s*(\d+)", lines[1] if len(lines) > 1 else "")
        if not m:
            raise ParseError(
                "no 'Nb header lines' in the .mpt header",
                file=path,
                row=2,
                expected="'Nb header lines : N'",
                found=lines[1] if len(lines) > 1 else "",
            )
        n_header = int(m.group(1))
        header_index = n_header - 1
        meta["header_lines"] = n_header
        meta["technique"] = next((ln.strip() for ln in lines[2:8] if ln.strip()), "")
        for ln in lines[:header_index]:
            if ln.startswith("Acquisition started on"):
                meta["start"] = ln.split(":", 1)[1].strip()
            version = re.match(r"EC-Lab (?:for windows )?v\s*([\w.]+)", ln.strip(), re.I)
            if version and "software_version" not in meta:
                meta["software_version"] = f"EC-Lab {version.group(1)}"
    else:
        header_index = 0
    if header_index >= len(lines):
        raise ParseError("the header is longer than the file", file=path, row=header_index + 1)
    header = lines[header_index]
    delim = "\t" if "\t" in header else _head.sniff_delimiter(header)
    sample = lines[header_index + 1] if len(lines) > header_index + 1 else ""
    decimal_comma = (
        delim != "," and bool(re.search(r"\d,\d", sample)) and not re.search(r"\d\.\d", sample)
    )
    names = None
    if header.endswith(delim):
        # EC-Lab ends the header line with a tab that the data lines do not have.
        names = [c.strip() for c in header.rstrip(delim).split(delim)]
        n_fields = sample.rstrip("\r\n").rstrip(delim).count(delim) + 1
        if sample.strip() and n_fields == len(names) + 1:
            # A column name was deleted from the header but not its values (impedance.py's
            # exampleDataBioLogic_MissingFreq.mpt): say which one when it is the frequency.
            eis_without_f = any(n.startswith("Re(Z)") for n in names) and not any(
                n.startswith("freq") for n in names
            )
            raise ParseError(
                "impedance data without a frequency column: the header has no 'freq/Hz' name"
                if eis_without_f
                else "a column name is missing from the header",
                file=path,
                row=header_index + 2,
                expected=f"{len(names)} fields, one per column name of the header",
                found=f"{n_fields} fields",
            )
    # A cycling export (no impedance columns) is read for the columns the cycling table uses
    # only: EC-Lab writes 20-30 columns, most derived (a 1M-row GCPL file: 1.0 GB -> 0.5 GB).
    header_cells = names or [c.strip() for c in header.split(delim)]
    wanted = None
    if "freq/Hz" not in header_cells and all(c in header_cells for c in ("time/s",)):
        present = [c for c in header_cells if c in CYCLING_COLUMNS]
        wanted = present if len(present) >= 2 else None
    text = _text.read_table(
        path,
        header_index=header_index,
        delimiter=delim,
        encoding=encoding,
        decimal_comma=decimal_comma,
        column_names=names,
        include_columns=wanted,
    )
    frame = text.frame
    frame = frame.loc[:, [c for c in frame.columns if c and not c.startswith("Unnamed")]]
    if frame.columns[0] == "" or frame.columns[0].startswith("column"):
        frame = frame.iloc[:, 1:]
    meta["first_row"] = text.first_row
    meta["warnings"] = text.warnings
    meta["decimal_comma"] = text.decimal_comma
    return frame, meta


#: Every EC-Lab column :func:`biologic_cycling` reads.
CYCLING_COLUMNS = frozenset(
    {
        "time/s",
        "Ewe/V",
        "Ecell/V",
        "<Ewe>/V",
        "<Ewe/V>",
        "I/mA",
        "<I>/mA",
        "dq/mA.h",
        "cycle number",
        "Ns",
        "Temperature/°C",
        "T/°C",
        "Temperature/Â°C",
        "(Q-Qo)/mA.h",
        "Energy charge/W.h",
        "Energy discharge/W.h",
    }
)


def _sniff_mpt(name: str, head: bytes) -> bool:
    if head.startswith(_MPT_MAGIC):
        return True
    first = head.split(b"\n", 1)[0].decode("latin-1")
    return "time/s" in first and ("Ewe/V" in first or "Ecell/V" in first) and "I/mA" in first


@register(
    "biologic-mpt",
    kind="cycling",
    extensions=(".mpt", ".txt", ".csv"),
    sniff=_sniff_mpt,
    version="2",
    priority=15,
)
def read_mpt(path: Path, **_: Any) -> Parsed:
    """BioLogic EC-Lab text export (.mpt, or a ';'-separated export of the same columns)."""
    raw, header = parse_mpt(path)
    meta = {k: v for k, v in header.items() if k not in ("warnings", "first_row", "decimal_comma")}
    start_unix = None
    if "start" in header:
        stamp = pd.to_datetime(header["start"], errors="coerce", format="%m/%d/%Y %H:%M:%S")
        start_unix = None if pd.isna(stamp) else stamp.timestamp()
    mixed = _mixed(
        raw,
        path,
        meta,
        start_unix,
        int(header["first_row"]),
        list(header["warnings"]),
        bool(header["decimal_comma"]),
    )
    if mixed is not None:
        return mixed
    if is_eis(raw):
        return _to_eis(raw, path, meta)
    return biologic_cycling(
        raw,
        path=path,
        metadata=meta,
        start_unix=start_unix,
        first_row=int(header["first_row"]),
        warnings=list(header["warnings"]),
        decimal_comma=bool(header["decimal_comma"]),
    )


def _mostly_numbers(values: pd.Series, decimal_comma: bool) -> bool:
    """True when most filled cells of a text column are numbers (a number column with a stray
    text, refused later by to_float) rather than dates (BT-Lab's absolute-time export)."""
    text = values.astype("string").str.strip()
    if decimal_comma:
        text = text.str.replace(",", ".", regex=False)
    numeric = pd.to_numeric(text, errors="coerce")
    return bool(2 * numeric.notna().sum() >= values.notna().sum())


def _col(raw: pd.DataFrame, *names: str) -> str | None:
    return next((n for n in names if n in raw.columns), None)


def biologic_cycling(
    raw: pd.DataFrame,
    *,
    path: Path,
    metadata: dict[str, Any],
    start_unix: float | None,
    first_row: int,
    warnings: list[str] | None = None,
    decimal_comma: bool = False,
) -> Parsed:
    """Canonical cycling table from a BioLogic-named DataFrame (mpr or mpt).

    Text that is not a number in a numeric column is a ParseError naming the file, the row
    (``first_row`` is the file's line of the frame's first row) and the column.
    """
    notes = list(warnings or [])

    def number(col: str) -> npt.NDArray[np.float64]:
        return _text.to_float(
            raw[col], file=path, column=col, first_row=first_row, decimal_comma=decimal_comma
        )

    meta = dict(metadata)
    time_col = _col(raw, "time/s")
    volt_col = _col(raw, "Ewe/V", "Ecell/V", "<Ewe>/V", "<Ewe/V>")
    for canonical, col, name in (
        ("test_time_second", time_col, "time/s"),
        ("voltage_volt", volt_col, "Ewe/V"),
    ):
        if col is None:
            raise ParseError(
                f"no column for {canonical}",
                file=path,
                row=max(first_row - 1, 1),
                column=name,
                expected=f"a column {name}",
                found=", ".join(map(str, raw.columns))[:300],
            )
    assert time_col is not None and volt_col is not None
    time_raw = raw[time_col]
    if time_raw.dtype.kind not in "fiu" and not _mostly_numbers(time_raw, decimal_comma):
        # BT-Lab's "absolute time" export writes dates in the time/s column.
        unix = date_seconds(
            time_raw.astype("string")
            .str.strip()
            .pipe(
                lambda s: pd.Series(
                    pd.to_datetime(s, format="%m/%d/%Y %H:%M:%S.%f", errors="coerce")
                )
            )
        )
        t = unix - unix[np.isfinite(unix)][0] if np.isfinite(unix).any() else unix
        start_unix = None
        table: dict[str, npt.NDArray[np.float64]] = {
            "test_time_second": t,
            "unix_time_second": unix,
        }
    else:
        t = number(time_col)
        # Columns as arrays, made a DataFrame once by finish_cycling (no copy per column).
        table = {"test_time_second": t}
        if start_unix is not None:
            table["unix_time_second"] = start_unix + t
    table["voltage_volt"] = number(volt_col)
    cur_col = _col(raw, "I/mA", "<I>/mA")
    if cur_col is not None:
        table["current_ampere"] = number(cur_col) / 1000
    elif "dq/mA.h" in raw.columns:
        dq = number("dq/mA.h")
        dt_h = np.diff(t, prepend=t[0]) / 3600
        with np.errstate(divide="ignore", invalid="ignore"):
            current = np.where(dt_h > 0, dq / dt_h, 0.0) / 1000
        table["current_ampere"] = current
        notes.append("no current column (I/mA): current derived from dq/mA.h over each time step")
    else:
        table["current_ampere"] = np.zeros(len(t))
        notes.append(
            "no current column (I/mA) nor charge column: open-circuit data, current set to 0 A"
        )
    if "cycle number" in raw.columns:
        table["cycle_count"] = number("cycle number")
    if "Ns" in raw.columns:
        table["step_index"] = number("Ns")
    if (tcol := _col(raw, "Temperature/°C", "T/°C", "Temperature/Â°C")) is not None:
        table["temperature_t1_celsius"] = number(tcol)
    starts = step_starts(table)
    qcol = _col(raw, "(Q-Qo)/mA.h")
    current = table["current_ampere"]
    if qcol is not None:
        q_mah = pd.Series(number(qcol)).ffill().fillna(0.0)
        q = q_mah.to_numpy(np.float64) / 1000
        idx = np.flatnonzero(starts)
        base = np.zeros(len(idx))
        base[1:] = q[idx[1:] - 1]
        net = q - base[np.cumsum(starts) - 1]
        chg, dchg = split_by_direction(net, current, starts)
        table["charging_capacity_ah"] = chg
        table["discharging_capacity_ah"] = dchg
    if "Energy charge/W.h" in raw.columns and "Energy discharge/W.h" in raw.columns:
        table["charging_energy_wh"] = number("Energy charge/W.h")
        table["discharging_energy_wh"] = number("Energy discharge/W.h")
    freq = _col(raw, "freq/Hz")
    if freq is not None:
        n_eis = int((pd.to_numeric(raw[freq], errors="coerce") > 0).sum())
        if n_eis:
            meta["eis_points"] = n_eis
            notes.append(f"{n_eis} impedance points interleaved in the cycling data kept as rows")
    return finish_cycling(table, file=path, warnings=notes, metadata=meta, first_row=first_row)
