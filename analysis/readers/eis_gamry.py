"""Gamry Framework ``.DTA`` impedance files (EISPOT/EISGALV), including aborted runs.

A DTA file is tab-separated ``KEY<TAB>TYPE<TAB>VALUE`` header lines followed by tables; the
spectrum is the ``ZCURVE TABLE`` (a header row of names, a row of units, then one row per
frequency: Pt, Time, Freq, Zreal, Zimag, ..., Idc, Vdc). An aborted run stops the table early
and continues with ``EXPERIMENTABORTED``; whatever was measured is kept. Numbers may use a
decimal comma (European Windows settings).

When the spectrum was measured: the header's ``DATE`` and ``TIME`` (the start of the experiment,
whole seconds, the Windows short date of the computer) plus the initial delay, the last ``T``
of the ``OCVCURVE`` table when one was recorded (the ``ZCURVE``'s ``Time`` counts from its own
start, after that delay: 1-100 s of OCV, then ``Time`` 0-1 s, in impedance.py's and pyimpspec's
files), is ``metadata["start_unix_time_second"]``, the wall clock (as written, no time zone) of
``time_second`` = 0. A date whose day and month cannot be told apart (both <= 12 and not in
the US ``M/D/YYYY`` form Gamry's own files use) gives both readings in
``metadata["start_unix_time_candidates"]`` and no ``start_unix_time_second``; the in-situ link
(:mod:`analysis.eis.insitu_link`) keeps the reading that places the spectra in the cycling run.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from analysis.readers.base import Parsed, ParseError, register
from analysis.readers.eis_common import eis_table, head_text, read_text, to_float


def _sniff(name: str, head: bytes) -> bool:
    text = head_text(head)
    return text.startswith("EXPLAIN") and ("\nTAG\tEIS" in text or "ZCURVE" in text)


_COLUMNS = {
    "Freq": "frequency_hz",
    "Zreal": "z_real_ohm",
    "Zimag": "z_imag_ohm",
    "Time": "time_second",
    "Vdc": "potential_volt",
    "Idc": "current_ampere",
}


@register("gamry_dta_eis", kind="eis", extensions=(".dta",), sniff=_sniff, priority=20, version="2")
def read_gamry_eis(path: str | Path) -> Parsed:
    """Gamry .DTA potentiostatic/galvanostatic EIS (ZCURVE tables; aborted runs kept)."""
    lines = read_text(path).splitlines()
    metadata: dict[str, Any] = {}
    columns: dict[str, list[float]] = {v: [] for v in _COLUMNS.values()}
    spectrum: list[int] = []
    warnings: list[str] = []
    n_tables = 0
    ocv_end_s: float | None = None
    i = 0
    while i < len(lines):
        cells = lines[i].split("\t")
        if cells[0] == "OCVCURVE":
            ocv_end_s, i = _table_end(lines, i, path)
            continue
        if len(cells) >= 3 and cells[1] in {"LABEL", "QUANT", "POTEN", "IQUANT"}:
            metadata.setdefault(cells[0].lower(), cells[2])
        if cells[0] == "EXPERIMENTABORTED":
            warnings.append("the experiment was aborted; the points measured before are kept")
        if cells[0] != "ZCURVE":
            i += 1
            continue
        if i + 2 >= len(lines):
            raise ParseError("ZCURVE table without its header rows", file=path, row=i + 1)
        names = [c.strip() for c in lines[i + 1].split("\t")]
        missing = [c for c in ("Freq", "Zreal", "Zimag") if c not in names]
        if missing:
            raise ParseError(
                "ZCURVE table lacks columns",
                file=path,
                row=i + 2,
                expected="Freq, Zreal and Zimag",
                found=", ".join(names),
            )
        index = {key: names.index(key) for key in _COLUMNS if key in names}
        i += 3
        while i < len(lines) and lines[i].startswith("\t") and lines[i].strip():
            row = lines[i].split("\t")
            for key, col in index.items():
                if col >= len(row):
                    raise ParseError("row too short", file=path, row=i + 1, column=key)
                columns[_COLUMNS[key]].append(to_float(row[col], file=path, row=i + 1, column=key))
            spectrum.append(n_tables)
            i += 1
        n_tables += 1
    if n_tables == 0:
        raise ParseError("no ZCURVE table (not an impedance file)", file=path)
    extra = {k: v for k, v in columns.items() if v and k in _EXTRA}
    return eis_table(
        columns["frequency_hz"],
        columns["z_real_ohm"],
        columns["z_imag_ohm"],
        file=path,
        spectrum=spectrum,
        extra=extra,
        warnings=warnings,
        metadata={
            **{k: metadata[k] for k in ("tag", "title", "date", "time", "area") if k in metadata},
            **_start(metadata.get("date"), metadata.get("time"), ocv_end_s, warnings),
        },
    )


def _table_end(lines: list[str], i: int, path: str | Path) -> tuple[float | None, int]:
    """The last ``T`` (s) of the table starting at line ``i`` and the line after it."""
    names = [c.strip() for c in lines[i + 1].split("\t")] if i + 1 < len(lines) else []
    col = names.index("T") if "T" in names else None
    last: float | None = None
    i += 3
    while i < len(lines) and lines[i].startswith("\t") and lines[i].strip():
        row = lines[i].split("\t")
        if col is not None and col < len(row):
            last = to_float(row[col], file=path, row=i + 1, column="T")
        i += 1
    return last, i


_DATE = re.compile(r"^\s*(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})\s*$")


def _start(
    date: str | None, time: str | None, delay_s: float | None, warnings: list[str]
) -> dict[str, Any]:
    """``start_unix_time_second`` (or the candidates) of the ZCURVE's time 0."""
    m = _DATE.match(date or "")
    clock = re.match(r"^\s*(\d{1,2}):(\d{2}):(\d{2})\s*$", time or "")
    if m is None or clock is None:
        return {}
    a, b, c = m.groups()
    sep = (date or "").strip()[len(a)]
    readings: list[tuple[int, int, int]] = []  # (year, month, day)
    if len(a) == 4:
        readings = [(int(a), int(b), int(c))]
    else:
        year = int(c) + (2000 if len(c) == 2 else 0)
        day_first, month_first = (year, int(b), int(a)), (year, int(a), int(b))
        if int(a) > 12:
            readings = [day_first]
        elif int(b) > 12 or (sep == "/" and len(c) == 4 and int(a) == int(b)):
            readings = [month_first]
        else:
            readings = [month_first, day_first] if int(a) != int(b) else [month_first]
    h, mi, sec = (int(x) for x in clock.groups())
    stamps = []
    for y, mo, d in readings:
        try:
            moment = dt.datetime(y, mo, d, h, mi, sec, tzinfo=dt.UTC)
        except ValueError:
            continue
        stamps.append(moment.timestamp() + (delay_s or 0.0))
    if len(stamps) == 1:
        return {"start_unix_time_second": stamps[0]}
    if len(stamps) > 1:
        warnings.append(
            f"the date {date!r} reads as day/month or month/day: the start of the spectra is "
            "one of two times"
        )
        return {"start_unix_time_candidates": stamps}
    return {}


_EXTRA = {"time_second", "potential_volt", "current_ampere"}
