"""CH Instruments (CHI600/700 series) "A.C. Impedance" text exports.

A header (date, technique ``A.C. Impedance``, instrument model, parameters) is followed by the
column line ``Freq/Hz, Z'/ohm, Z"/ohm, Z/ohm, Phase/deg`` and comma-separated rows. ``Z"`` is
Im Z as a signed number (< 0 for a capacitive arc).
"""

from __future__ import annotations

from pathlib import Path

from analysis.readers.base import Parsed, ParseError, register
from analysis.readers.eis_common import eis_table, head_text, read_text, to_float


def _sniff(name: str, head: bytes) -> bool:
    text = head_text(head)
    return "A.C. Impedance" in text[:500] and "Freq/Hz" in text


@register("chi_eis", kind="eis", extensions=(".txt", ".csv"), sniff=_sniff, priority=30)
def read_chinstruments(path: str | Path) -> Parsed:
    """CH Instruments A.C. Impedance export (Freq/Hz, Z'/ohm, Z"/ohm)."""
    lines = read_text(path).splitlines()
    header_row = next((i for i, line in enumerate(lines) if line.startswith("Freq/Hz")), None)
    if header_row is None:
        raise ParseError("no 'Freq/Hz, Z'/ohm, Z\"/ohm' column line", file=path)
    header = [c.strip() for c in lines[header_row].split(",")]
    if len(header) < 3 or not header[1].startswith("Z'") or not header[2].startswith('Z"'):
        raise ParseError(
            "unexpected columns",
            file=path,
            row=header_row + 1,
            expected="Freq/Hz, Z'/ohm, Z\"/ohm",
            found=lines[header_row],
        )
    info = {
        key.strip().lower(): value.strip()
        for key, _, value in (line.partition(":") for line in lines[:header_row] if ":" in line)
        if key.strip() in {"Instrument Model", "File"}
    }
    f, re_, im = [], [], []
    for n, line in enumerate(lines[header_row + 1 :], start=header_row + 2):
        if not line.strip():
            continue
        cells = line.split(",")
        f.append(to_float(cells[0], file=path, row=n, column="Freq/Hz"))
        re_.append(to_float(cells[1], file=path, row=n, column="Z'/ohm"))
        im.append(to_float(cells[2], file=path, row=n, column='Z"/ohm'))
    return eis_table(f, re_, im, file=path, metadata=info)
