"""Gamry Framework ``.DTA`` impedance files (EISPOT/EISGALV), including aborted runs.

A DTA file is tab-separated ``KEY<TAB>TYPE<TAB>VALUE`` header lines followed by tables; the
spectrum is the ``ZCURVE TABLE`` (a header row of names, a row of units, then one row per
frequency: Pt, Time, Freq, Zreal, Zimag, ..., Idc, Vdc). An aborted run stops the table early
and continues with ``EXPERIMENTABORTED``; whatever was measured is kept. Numbers may use a
decimal comma (European Windows settings).
"""

from __future__ import annotations

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


@register("gamry_dta_eis", kind="eis", extensions=(".dta",), sniff=_sniff, priority=20)
def read_gamry_eis(path: str | Path) -> Parsed:
    """Gamry .DTA potentiostatic/galvanostatic EIS (ZCURVE tables; aborted runs kept)."""
    lines = read_text(path).splitlines()
    metadata: dict[str, Any] = {}
    columns: dict[str, list[float]] = {v: [] for v in _COLUMNS.values()}
    spectrum: list[int] = []
    warnings: list[str] = []
    n_tables = 0
    i = 0
    while i < len(lines):
        cells = lines[i].split("\t")
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
            k: metadata[k] for k in ("tag", "title", "date", "time", "area") if k in metadata
        },
    )


_EXTRA = {"time_second", "potential_volt", "current_ampere"}
