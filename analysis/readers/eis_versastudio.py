"""Princeton Applied Research VersaStudio ``.par`` files.

An XML-like file of ``<Section>`` blocks; each ``<SegmentN>`` holds a ``Definition=`` line
naming the comma-separated columns (``Frequency(Hz)``, ``Z Real``, ``Z Imag``, ``E(V)``,
``I(A)``, ``Elapsed Time(s)``, ...) followed by the data rows. Every segment with impedance
points (frequency above 0) becomes a spectrum. ``Z Imag`` is Im Z (< 0 for a capacitive arc).
"""

from __future__ import annotations

import re
from pathlib import Path

from analysis.readers.base import Parsed, ParseError, register
from analysis.readers.eis_common import eis_table, head_text, read_text, to_float

_SEGMENT = re.compile(r"<Segment(\d+)>\s*\n(.*?)</Segment\1>", re.DOTALL)
_WANTED = {
    "Frequency(Hz)": "f",
    "Z Real": "re",
    "Z Imag": "im",
    "Elapsed Time(s)": "time_second",
    "E(V)": "potential_volt",
    "I(A)": "current_ampere",
}


def _sniff(name: str, head: bytes) -> bool:
    text = head_text(head)
    return "<Application>" in text[:200] and ("VersaStudio" in text or "<Segment" in text)


@register("versastudio_par", kind="eis", extensions=(".par",), sniff=_sniff, priority=20)
def read_versastudio(path: str | Path) -> Parsed:
    """VersaStudio .par impedance segments (Frequency(Hz), Z Real, Z Imag)."""
    text = read_text(path)
    values: dict[str, list[float]] = {v: [] for v in _WANTED.values()}
    spectrum: list[int] = []
    n_spectra = 0
    for match in _SEGMENT.finditer(text):
        body = match.group(2).splitlines()
        definition = next((line for line in body if line.startswith("Definition=")), None)
        if definition is None:
            continue
        names = [c.strip() for c in definition.removeprefix("Definition=").split(",")]
        if not all(k in names for k in ("Frequency(Hz)", "Z Real", "Z Imag")):
            continue
        index = {key: names.index(key) for key in _WANTED if key in names}
        first_line = text.count("\n", 0, match.start(2)) + 1
        found = False
        for offset, line in enumerate(body):
            if "=" in line or not line.strip():
                continue
            cells = line.split(",")
            row = first_line + offset
            f = to_float(cells[index["Frequency(Hz)"]], file=path, row=row, column="Frequency(Hz)")
            if f <= 0:
                continue
            for key, i in index.items():
                values[_WANTED[key]].append(to_float(cells[i], file=path, row=row, column=key))
            spectrum.append(n_spectra)
            found = True
        n_spectra += found
    if not spectrum:
        raise ParseError(
            "no segment with impedance data (Frequency(Hz), Z Real, Z Imag)", file=path
        )
    freq, z_re, z_im = values.pop("f"), values.pop("re"), values.pop("im")
    extra = {k: v for k, v in values.items() if len(v) == len(freq)}
    return eis_table(freq, z_re, z_im, file=path, spectrum=spectrum, extra=extra)
