"""Delimited text tables of impedance: frequency, Re Z, Im Z (CSV, TSV or whitespace).

Two layouts are accepted:

* headerless, three or more numeric columns: frequency (Hz), Re Z (ohm), Im Z (ohm), as
  impedance.py's ``readCSV`` reads them (``exampleData.csv``);
* a header naming the columns: a frequency column (``f``, ``freq``, ``Frequency (Hz)``), a real
  column (``Z'``, ``Re(Z)``, ``Real``, ``Zreal``) and an imaginary one (``Z''``, ``Im(Z)``,
  ``Imag``, ``Zimag``). A leading minus in a name (``-Z''``, ``-Im(Z)``) means the column holds
  the negated quantity, which is undone. An unnamed index column (pandas' ``,Freq,Real,Imag``)
  is ignored.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from analysis.readers.base import Parsed, ParseError, register
from analysis.readers.eis_common import eis_table, find_column, head_text, read_text, to_float

_FREQ = (r"^f$", r"^f\s*[\(/\[]", r"^freq", r"^frequency")
_REAL = (r"^-?z'(?!')", r"^-?re\s*\(?z", r"^-?real", r"^-?z_?re", r"^-?zreal")
_IMAG = (r"^-?z''", r'^-?z"', r"^-?im\s*\(?z", r"^-?imag", r"^-?z_?im", r"^-?zimag")


def _split(line: str) -> list[str]:
    for sep in ("\t", ";", ","):
        if sep in line:
            return [c.strip().strip('"') for c in line.split(sep)]
    return line.split()


def _numeric(cells: list[str]) -> bool:
    try:
        [float(c) for c in cells]
    except ValueError:
        return False
    return True


def _layout(lines: list[str]) -> tuple[int, int, int, int, int, int] | None:
    """``(first data line, freq col, real col, imag col, real sign, imag sign)``."""
    rows = [line for line in lines if line.strip()]
    if not rows:
        return None
    first = _split(rows[0])
    start = lines.index(rows[0])
    if _numeric(first):
        return (start, 0, 1, 2, 1, 1) if len(first) >= 3 else None
    i_f = find_column(first, *_FREQ)
    i_re = find_column(first, *_REAL)
    i_im = find_column(first, *_IMAG)
    if i_f is None or i_re is None or i_im is None or len({i_f, i_re, i_im}) < 3:
        return None
    sign_re = -1 if first[i_re].startswith("-") else 1
    sign_im = -1 if first[i_im].startswith("-") else 1
    return start + 1, i_f, i_re, i_im, sign_re, sign_im


def _sniff(name: str, head: bytes) -> bool:
    text = head_text(head)
    lines = text.splitlines()[:50]
    layout = _layout(lines)
    if layout is None:
        return False
    start = layout[0]
    data = [_split(line) for line in lines[start:] if line.strip()][:20]
    if len(data) < 2 or not all(_numeric(row) and len(row) > 2 for row in data[:-1]):
        return False
    if start == lines.index(next(line for line in lines if line.strip())):
        # headerless: only exactly three columns of log-spaced positive frequencies
        freqs = np.array([float(row[0]) for row in data[:-1]])
        if len(data[0]) != 3 or np.any(freqs <= 0):
            return False
        steps = np.abs(np.diff(np.log10(freqs)))
        return bool(np.all(steps > 0.005))
    return True


@register(
    "eis_csv",
    kind="eis",
    extensions=(".csv", ".txt", ".dat", ".tsv"),
    sniff=_sniff,
    priority=90,
)
def read_eis_csv(path: str | Path) -> Parsed:
    """Delimited impedance table: frequency, Re Z, Im Z (with or without a header)."""
    lines = read_text(path).splitlines()
    layout = _layout(lines)
    if layout is None:
        raise ParseError(
            "no frequency, real and imaginary impedance columns found",
            file=path,
            row=1,
            expected="three numeric columns or a header such as f, Z', Z''",
            found=lines[0] if lines else "",
        )
    start, i_f, i_re, i_im, s_re, s_im = layout
    names = _split(lines[start - 1]) if start > 0 else ["frequency", "Re Z", "Im Z"]
    f, re_, im = [], [], []
    for n, line in enumerate(lines[start:], start=start + 1):
        if not line.strip() or re.match(r"^\s*#", line):
            continue
        cells = _split(line)
        if len(cells) <= max(i_f, i_re, i_im):
            raise ParseError("row too short", file=path, row=n, found=line.strip())
        f.append(to_float(cells[i_f], file=path, row=n, column=names[i_f]))
        re_.append(s_re * to_float(cells[i_re], file=path, row=n, column=names[i_re]))
        im.append(s_im * to_float(cells[i_im], file=path, row=n, column=names[i_im]))
    return eis_table(f, re_, im, file=path)
