"""Princeton Applied Research Parstat (VersaStudio/PowerSuite text) exports with the columns
``Potential (V)  Current (A)  Elapsed Time (s)  Frequency (Hz)  Zre (ohms)  Zim (ohms) ...``.

Such a file interleaves DC rows (frequency 0: cycling or OCV) with impedance sweeps; only
rows with a frequency above 0 are impedance points, and each uninterrupted run of them (or a
frequency restart within one) is a spectrum. ``Zim`` is Im Z (Im < 0 for a capacitive arc).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from analysis.readers.base import Parsed, ParseError, register
from analysis.readers.eis_common import (
    eis_table,
    find_column,
    head_text,
    read_text,
    spectrum_starts,
    to_float,
)


def _sniff(name: str, head: bytes) -> bool:
    first = head_text(head).splitlines()[0] if head else ""
    return "Frequency (Hz)" in first and "Zre (ohms)" in first and "Zim (ohms)" in first


@register("parstat_eis", kind="eis", extensions=(".txt",), sniff=_sniff, priority=30)
def read_parstat(path: str | Path) -> Parsed:
    """Parstat text export (Potential, Current, Elapsed Time, Frequency, Zre, Zim)."""
    lines = read_text(path).splitlines()
    header = lines[0].split("\t")
    idx = {
        "f": find_column(header, r"^frequency \(hz\)"),
        "re": find_column(header, r"^zre"),
        "im": find_column(header, r"^zim"),
        "time_second": find_column(header, r"^elapsed time \(s\)"),
        "potential_volt": find_column(header, r"^potential \(v\)"),
        "current_ampere": find_column(header, r"^current \(a\)"),
    }
    if idx["f"] is None or idx["re"] is None or idx["im"] is None:
        raise ParseError("missing impedance columns", file=path, row=1, found=lines[0])
    values: dict[str, list[float]] = {k: [] for k, i in idx.items() if i is not None}
    new_run: list[bool] = []
    previous_was_eis = False
    for n, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if not line.strip():
            continue
        f_col = idx["f"]
        assert f_col is not None
        f = to_float(cells[f_col], file=path, row=n, column=header[f_col])
        if f <= 0:
            previous_was_eis = False
            continue
        for key, i in idx.items():
            if i is not None:
                values[key].append(to_float(cells[i], file=path, row=n, column=header[i]))
        new_run.append(not previous_was_eis)
        previous_was_eis = True
    f_all = np.array(values.pop("f"))
    starts = np.array(new_run, dtype=bool) | spectrum_starts(f_all)
    spectrum = np.cumsum(starts) - 1
    re_, im = values.pop("re"), values.pop("im")
    return eis_table(f_all, re_, im, file=path, spectrum=spectrum, extra=values)
