"""Battery Data Format (BDF) tables, CSV or Parquet (battery-data-alliance/battery-data-format).

Format ``bdf``. BDF is already our canonical form: columns named either by BDF's machine-readable
names (``test_time_second``, ``voltage_volt``, ``current_ampere``...) or by its preferred labels
(``Test Time / s``, ``Voltage / V``, ``Current / A``...), in SI units; positive current charges
the cell. Labels are turned into machine names (``Temperature T1 / degC`` ->
``temperature_t1_celsius``); BDF columns outside the canonical set (power, other temperature
probes) are listed in ``metadata["other_columns"]`` and not kept. BDF does not say how
capacity/energy counters count: a table whose counters restart at most step starts is taken as
counted per step (so a table labdb wrote reads back the same), any other is made cumulative
within the step (``metadata["counters"]`` says which). Neware exports converted to BDF
can carry Neware's Total-Time reset (BDF's own example "…Time_Bug"): repaired by
:func:`analysis.readers.canonical.finish_cycling` with a warning.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.readers import _head, _text
from analysis.readers.base import Parsed, register
from analysis.readers.canonical import COLUMNS, finish_cycling
from analysis.readers.generic_csv import read_mapped

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

_UNIT_SUFFIX = {
    "s": "second",
    "v": "volt",
    "a": "ampere",
    "ah": "ah",
    "wh": "wh",
    "w": "watt",
    "degc": "celsius",
    "1": "",
}
_PARQUET_MAGIC = b"PAR1"


def machine_name(label: str) -> str:
    """BDF preferred label -> machine-readable name (``"Voltage / V"`` -> ``"voltage_volt"``)."""
    if "/" not in label:
        return label.strip()
    name, unit = (s.strip() for s in label.rsplit("/", 1))
    stem = re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")
    suffix = _UNIT_SUFFIX.get(unit.lower(), re.sub(r"[^0-9a-z]+", "_", unit.lower()))
    return f"{stem}_{suffix}" if suffix else stem


def _is_bdf_header(line: str) -> bool:
    names = {machine_name(c.strip().strip('"')) for c in line.split(_head.sniff_delimiter(line))}
    return {"test_time_second", "voltage_volt", "current_ampere"} <= names


def _sniff(name: str, head: bytes) -> bool:
    if head.startswith(_PARQUET_MAGIC):
        # A Parquet file keeps its schema in the footer, past the sniffed head: BDF is the only
        # Parquet format read here, and the reader names the columns it misses.
        return True
    first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    return _is_bdf_header(first)


@register(
    "bdf", kind="cycling", extensions=(".csv", ".parquet"), sniff=_sniff, version="1", priority=20
)
def read_bdf(path: Path, **_: Any) -> Parsed:
    """Battery Data Format table (CSV or Parquet)."""
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic == _PARQUET_MAGIC:
        frame = pd.read_parquet(path)
        names = {str(c): machine_name(str(c)) for c in frame.columns}
        # Columns as arrays, made a DataFrame once by finish_cycling (no copy per column).
        table = {
            names[str(c)]: _text.to_float(frame[c], file=path, column=str(c), first_row=1)
            for c in frame.columns
            if names[str(c)] in COLUMNS
        }
        other = [names[str(c)] for c in frame.columns if names[str(c)] not in COLUMNS]
        return finish_cycling(table, file=path, counters="auto", metadata={"other_columns": other})
    lines, encoding = _head.head_lines(path, 64 * 1024)
    header = lines[0]
    delim = _head.sniff_delimiter(header)
    labels = [c.strip().strip('"') for c in header.split(delim)]
    mapping = {machine_name(lbl): lbl for lbl in labels if machine_name(lbl) in COLUMNS}
    # Units are part of BDF's names, already SI: no conversion beyond the name.
    units = {
        k: {
            "second": "s",
            "volt": "V",
            "ampere": "A",
            "ah": "Ah",
            "wh": "Wh",
            "celsius": "degC",
        }.get(k.rsplit("_", 1)[-1], "")
        for k in mapping
    }
    units = {k: v for k, v in units.items() if v}
    other = [lbl for lbl in labels if machine_name(lbl) not in COLUMNS]
    return read_mapped(
        path,
        mapping=mapping,
        units=units,
        header_index=0,
        delimiter=delim,
        encoding=encoding,
        counters="auto",
        metadata={"other_columns": other},
    )
