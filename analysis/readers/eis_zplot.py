"""Scribner ZPlot/ZView ``.z`` files (also written by Z60W/ZPlotW, as in impedance.py's
"Autolab" example), with or without the comment block.

Layout: a free-form header (``ZPLOT2 ASCII`` and an indented comment block ending with
``End Comments``, or the older quoted ``"ZPlotW Data File"`` lines), a column header line
``Freq(Hz) Ampl Bias Time(Sec) Z'(a) Z''(b) GD Err Range`` and then one row per frequency,
tab- or comma-separated. ``Z'(a)`` and ``Z''(b)`` are Re Z and Im Z in ohm (Im < 0 for a
capacitive arc).
"""

from __future__ import annotations

import re
from pathlib import Path

from analysis.readers.base import Parsed, ParseError, register
from analysis.readers.eis_common import eis_table, find_column, head_text, read_text, to_float

_SIGNATURES = ("ZPLOT2 ASCII", "ZPlotW Data File", "Z60W Data File", "ZView")
_SPLIT = re.compile(r"\s*[\t,]\s*|\s{2,}")


def _sniff(name: str, head: bytes) -> bool:
    first = head_text(head[:400])
    return any(sig in first for sig in _SIGNATURES) and "Freq" in head_text(head)


def _cells(line: str) -> list[str]:
    return [c for c in _SPLIT.split(line.strip().strip('"')) if c]


@register("zplot_z", kind="eis", extensions=(".z", ".txt"), sniff=_sniff, priority=20)
def read_zplot(path: str | Path) -> Parsed:
    """ZPlot/ZView .z (and Z60W text) impedance spectra."""
    lines = read_text(path).splitlines()
    header_row = next((i for i, line in enumerate(lines) if "Freq" in line and "Z'" in line), None)
    if header_row is None:
        raise ParseError("no column header with Freq and Z' found", file=path)
    header = _cells(lines[header_row])
    i_f = find_column(header, r"^freq")
    i_re = find_column(header, r"^z'\(a\)", r"^z'$", r"^z'[^']")
    i_im = find_column(header, r"^z''")
    i_t = find_column(header, r"^time")
    if i_f is None or i_re is None or i_im is None:
        raise ParseError(
            "column header lacks a frequency, Z' or Z'' column",
            file=path,
            row=header_row + 1,
            expected="Freq(Hz), Z'(a), Z''(b)",
            found=lines[header_row].strip(),
        )
    start = header_row + 1
    end_comments = next((i for i, line in enumerate(lines) if line.strip() == "End Comments"), None)
    if end_comments is not None and end_comments >= header_row:
        start = end_comments + 1
    f: list[float] = []
    z_re: list[float] = []
    z_im: list[float] = []
    time: list[float] = []
    for row, line in enumerate(lines[start:], start=start + 1):
        cells = _cells(line)
        if not cells:
            continue
        if not _numeric(cells[0]):
            break
        need = max(i_f, i_re, i_im)
        if len(cells) <= need:
            raise ParseError(
                "row too short", file=path, row=row, expected=f"{need + 1} values", found=line
            )
        f.append(to_float(cells[i_f], file=path, row=row, column="Freq"))
        z_re.append(to_float(cells[i_re], file=path, row=row, column="Z'"))
        z_im.append(to_float(cells[i_im], file=path, row=row, column="Z''"))
        if i_t is not None and i_t < len(cells):
            time.append(to_float(cells[i_t], file=path, row=row, column="Time"))
    extra = {"time_second": time} if time and len(time) == len(f) else None
    return eis_table(f, z_re, z_im, file=path, extra=extra, metadata={"variant": lines[0][:40]})


def _numeric(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
