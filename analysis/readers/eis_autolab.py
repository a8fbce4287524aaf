"""Metrohm Autolab NOVA impedance exports (ASCII/CSV: ``Frequency (Hz)``, ``Z' (Ω)``,
``-Z'' (Ω)``, ...), separated by semicolons, tabs or commas.

NOVA writes -Z'' (the positive-up Nyquist convention); the table stores Im Z = -(-Z'').
Potential and current columns (``WE(1).Potential (V)``, ``WE(1).Current (A)``) and ``Time (s)``
are kept when present. (impedance.py's ``exampleDataAutolab.txt`` is in fact a Z60W file and
is read by :mod:`analysis.readers.eis_zplot`.)
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from analysis.readers.base import Parsed, ParseError, register
from analysis.readers.eis_common import eis_table, find_column, head_text, read_text, to_float


def _sniff(name: str, head: bytes) -> bool:
    first = head_text(head).splitlines()[0] if head else ""
    return "Frequency (Hz)" in first and "Z''" in first and ("Z'" in first)


@register("autolab_nova_eis", kind="eis", extensions=(".txt", ".csv"), sniff=_sniff, priority=30)
def read_autolab(path: str | Path) -> Parsed:
    """Autolab NOVA impedance export (Frequency (Hz), Z' (Ω), -Z'' (Ω))."""
    text = read_text(path)
    first = text.splitlines()[0]
    delimiter = max((";", "\t", ","), key=first.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = [c.strip() for c in rows[0]]
    i_f = find_column(header, r"^frequency \(hz\)")
    i_re = find_column(header, r"^z' \(")
    i_im_neg = find_column(header, r"^-z'' \(")
    i_im = find_column(header, r"^z'' \(")
    if i_f is None or i_re is None or (i_im_neg is None and i_im is None):
        raise ParseError(
            "missing impedance columns",
            file=path,
            row=1,
            expected="Frequency (Hz), Z' (Ω) and -Z'' (Ω)",
            found=", ".join(header),
        )
    optional = {
        "time_second": find_column(header, r"^time \(s\)"),
        "potential_volt": find_column(header, r"potential \(v\)$"),
        "current_ampere": find_column(header, r"current \(a\)$"),
    }
    cols: dict[str, list[float]] = {k: [] for k in ("f", "re", "im", *optional)}
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cols["f"].append(to_float(row[i_f], file=path, row=n, column=header[i_f]))
        cols["re"].append(to_float(row[i_re], file=path, row=n, column=header[i_re]))
        if i_im_neg is not None:
            cols["im"].append(-to_float(row[i_im_neg], file=path, row=n, column=header[i_im_neg]))
        else:
            assert i_im is not None
            cols["im"].append(to_float(row[i_im], file=path, row=n, column=header[i_im]))
        for key, idx in optional.items():
            if idx is not None:
                cols[key].append(to_float(row[idx], file=path, row=n, column=header[idx]))
    extra = {k: np.array(cols[k]) for k, idx in optional.items() if idx is not None}
    return eis_table(cols["f"], cols["re"], cols["im"], file=path, extra=extra)
