"""Shared pieces of the impedance-spectrum readers (registers no format itself).

The canonical EIS table has one row per measured point: ``spectrum`` (int, 0-based, in file
order), ``frequency_hz``, ``z_real_ohm``, ``z_imag_ohm`` (Z = Re + j Im, so a capacitive arc has
Im < 0) and, where the instrument recorded them, ``time_second``, ``cycle``, ``sequence``,
``potential_volt`` and ``current_ampere``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from analysis.readers._limits import limits
from analysis.readers.base import Parsed, ParseError

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

EIS_COLUMNS = ("spectrum", "frequency_hz", "z_real_ohm", "z_imag_ohm")
EXTRA_COLUMNS = (
    "time_second",
    "cycle",
    "sequence",
    "potential_volt",
    "current_ampere",
)
_RESTART_DECADES = 0.5


def read_text(path: str | Path) -> str:
    """The file's text: UTF-8 (with or without BOM), falling back to Latin-1 as instruments
    on Windows write it. A file of more lines than the reader limit of rows is refused before
    it is loaded (:mod:`analysis.readers._limits`)."""
    limits().check_text_lines(Path(path))
    raw = Path(path).read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def head_text(head: bytes) -> str:
    """Sniffer helper: the first bytes as text, never failing."""
    return head.decode("latin-1", errors="replace")


def to_float(text: str, *, file: str | Path, row: int, column: str) -> float:
    """A number as instruments write it, accepting a decimal comma (``1,5E-3``)."""
    t = text.strip().strip('"')
    try:
        return float(t)
    except ValueError:
        pass
    try:
        return float(t.replace(",", "."))
    except ValueError:
        raise ParseError(
            "not a number", file=file, row=row, column=column, expected="a number", found=t
        ) from None


def spectrum_starts(frequency_hz: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """True where a new spectrum begins: the first point, and every point where the frequency
    jumps back against the sweep direction by more than half a decade (a new sweep)."""
    f = np.asarray(frequency_hz, dtype=np.float64)
    starts = np.zeros(f.size, dtype=bool)
    if f.size == 0:
        return starts
    starts[0] = True
    step = np.diff(np.log10(f))
    if step.size == 0:
        return starts
    direction = np.sign(np.median(step)) or -1.0
    starts[1:] = step * direction < -_RESTART_DECADES
    return starts


def eis_table(
    frequency_hz: Sequence[float] | npt.NDArray[np.float64],
    z_real_ohm: Sequence[float] | npt.NDArray[np.float64],
    z_imag_ohm: Sequence[float] | npt.NDArray[np.float64],
    *,
    file: str | Path,
    spectrum: Sequence[int] | npt.NDArray[np.int64] | None = None,
    extra: Mapping[str, Any] | None = None,
    warnings: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
) -> Parsed:
    """Build and check the canonical table; ``spectrum`` defaults to frequency restarts.

    Raises :class:`ParseError` for an empty table, a non-positive or non-finite frequency, or
    a non-finite impedance, naming the (1-based) point.
    """
    f = np.asarray(frequency_hz, dtype=np.float64)
    re_ = np.asarray(z_real_ohm, dtype=np.float64)
    im = np.asarray(z_imag_ohm, dtype=np.float64)
    if f.size == 0:
        raise ParseError("no impedance data points found", file=file)
    for name, values in (("frequency", f), ("real impedance", re_), ("imaginary impedance", im)):
        bad = np.nonzero(~np.isfinite(values))[0]
        if bad.size:
            raise ParseError(f"{name} of data point {bad[0] + 1} is not a finite number", file=file)
    bad = np.nonzero(f <= 0)[0]
    if bad.size:
        raise ParseError(
            f"frequency of data point {bad[0] + 1} is {f[bad[0]]!r}",
            file=file,
            expected="a frequency above 0 Hz",
        )
    if spectrum is None:
        spec = np.cumsum(spectrum_starts(f)) - 1
    else:
        spec = np.asarray(spectrum, dtype=np.int64)
    table = pd.DataFrame(
        {
            "spectrum": spec.astype(np.int64),
            "frequency_hz": f,
            "z_real_ohm": re_,
            "z_imag_ohm": im,
        }
    )
    for name in EXTRA_COLUMNS:
        if extra and name in extra and extra[name] is not None:
            values = np.asarray(extra[name])
            table[name] = values.astype(np.int64) if name in {"cycle", "sequence"} else values
    meta = dict(metadata or {})
    meta.setdefault("spectra", int(table["spectrum"].nunique()))
    return Parsed(table=table, warnings=tuple(warnings), metadata=meta, kind="eis")


_HEADER_SPLIT = re.compile(r"\t|;|,(?!\d)")


def find_column(header: Sequence[str], *patterns: str) -> int | None:
    """Index of the first header cell matching any regular expression (case-insensitive)."""
    for pattern in patterns:
        rx = re.compile(pattern, re.IGNORECASE)
        for i, cell in enumerate(header):
            if rx.search(cell.strip().strip('"')):
                return i
    return None
