"""Princeton Applied Research PowerSuite impedance exports: a tab-separated table headed
``Frequency  Zre  Zimg`` (Hz, ohm, ohm; ``Zimg`` is Im Z, < 0 for a capacitive arc)."""

from __future__ import annotations

from pathlib import Path

from analysis.readers.base import Parsed, ParseError, register
from analysis.readers.eis_common import eis_table, find_column, head_text, read_text, to_float


def _sniff(name: str, head: bytes) -> bool:
    first = head_text(head).splitlines()[0] if head else ""
    cells = [c.strip() for c in first.split("\t")]
    return bool(cells) and cells[0] == "Frequency" and "Zre" in cells and "Zimg" in cells


@register("powersuite_eis", kind="eis", extensions=(".txt",), sniff=_sniff, priority=30)
def read_powersuite(path: str | Path) -> Parsed:
    """PowerSuite impedance export (Frequency, Zre, Zimg)."""
    lines = read_text(path).splitlines()
    header = [c.strip() for c in lines[0].split("\t")]
    i_f = find_column(header, r"^frequency$")
    i_re = find_column(header, r"^zre$")
    i_im = find_column(header, r"^zimg$")
    if i_f is None or i_re is None or i_im is None:
        raise ParseError("missing columns", file=path, row=1, expected="Frequency, Zre, Zimg")
    f, re_, im = [], [], []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        f.append(to_float(cells[i_f], file=path, row=n, column="Frequency"))
        re_.append(to_float(cells[i_re], file=path, row=n, column="Zre"))
        im.append(to_float(cells[i_im], file=path, row=n, column="Zimg"))
    return eis_table(f, re_, im, file=path)
