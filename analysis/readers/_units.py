"""Unit conversion to SI for the cycling readers (factors, not Pint: this runs on 1e6-row columns).

Units are written many ways by vendors (``µA``, ``uA``, ``mA.h``, ``mAs``, ``degC``, ``°C``, and
mojibake of ``µ`` when a file's encoding was guessed wrong); :func:`to_si` accepts all of them.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import numpy.typing as npt

from analysis.readers.base import ParseError

_PREFIX = {"": 1.0, "k": 1e3, "m": 1e-3, "u": 1e-6, "n": 1e-9}
_QUANTITY_BASE = {
    "time": {
        "s": 1.0,
        "sec": 1.0,
        "second": 1.0,
        "min": 60.0,
        "h": 3600.0,
        "hr": 3600.0,
        "d": 86400.0,
        "ms": 1e-3,
    },
    "voltage": {"v": 1.0},
    "current": {"a": 1.0},
    "capacity": {
        "ah": 1.0,
        "a.h": 1.0,
        "a·h": 1.0,
        "a-h": 1.0,
        "a-hr": 1.0,
        "as": 1 / 3600,
        "c": 1 / 3600,
    },
    "energy": {"wh": 1.0, "w.h": 1.0, "ws": 1 / 3600, "j": 1 / 3600},
    "temperature": {"c": 0.0, "degc": 0.0, "°c": 0.0, "celsius": 0.0, "k": -273.15},
}


#: The SI/BDF unit of each quantity, the unit of every canonical column.
SI_UNIT = {
    "time": "s",
    "voltage": "V",
    "current": "A",
    "capacity": "Ah",
    "energy": "Wh",
    "temperature": "degC",
}


def normalise_unit(unit: str) -> str:
    u = unit.strip().lower().replace(" ", "")
    for micro in ("µ", "μ", "\ufffd", "�", "¦ì", "ã¬", "\xb5"):
        u = u.replace(micro, "u")
    return u.strip("()[]")


def factor(unit: str, quantity: str) -> tuple[float, float]:
    """(scale, offset) so that ``si = value * scale + offset``; raises KeyError when unknown."""
    u = normalise_unit(unit)
    table = _QUANTITY_BASE[quantity]
    if quantity == "temperature":
        if u in table:
            return 1.0, table[u]
        raise KeyError(unit)
    if quantity == "time" and u in table:
        return table[u], 0.0
    for base, scale in table.items():
        if u == base:
            return scale, 0.0
        if u.endswith(base) and u[: -len(base)] in _PREFIX:
            return scale * _PREFIX[u[: -len(base)]], 0.0
    raise KeyError(unit)


def to_si(
    values: npt.ArrayLike, unit: str, quantity: str, *, column: str | None = None
) -> npt.NDArray[np.float64]:
    """``values`` in ``unit`` converted to the SI/BDF unit of ``quantity`` (s, V, A, Ah, Wh, degC)."""
    try:
        scale, offset = factor(unit, quantity)
    except KeyError:
        raise ParseError(
            f"unknown {quantity} unit", column=column, expected=f"a {quantity} unit", found=unit
        ) from None
    arr = np.asarray(values, dtype=np.float64)
    if scale != 1.0 or offset != 0.0:
        arr = arr * scale + offset
    return arr


_UNIT_IN_NAME = re.compile(
    r"^(?P<name>.*?)\s*(?:\((?P<p>[^()]*)\)|\[(?P<b>[^\[\]]*)\]|/\s*(?P<s>[^/]+))\s*$"
)


def split_unit(header: str) -> tuple[str, str | None]:
    """``"Current(mA)"`` -> ``("Current", "mA")``; ``"Voltage / V"`` -> ``("Voltage", "V")``."""
    m = _UNIT_IN_NAME.match(header.strip())
    if not m:
        return header.strip(), None
    unit = m.group("p") or m.group("b") or m.group("s")
    return m.group("name").strip(), unit.strip() if unit else None


def timedelta_seconds(
    values: npt.ArrayLike,
    *,
    file: str | Path | None = None,
    column: str | None = None,
    first_row: int = 1,
) -> npt.NDArray[np.float64]:
    """Durations written ``[D d ]HH:MM:SS[.f]`` (or plain seconds) as float seconds, vectorised.

    The text is parsed vectorised (:mod:`analysis.readers._durations`); only the values that are not
    durations are looked at again, as plain numbers (seconds). With ``column`` given, a text
    that is neither a duration, a number nor a missing-value text (see
    :func:`analysis.readers._text.to_float`) is a :class:`ParseError` naming the file, row
    (``first_row`` is the file's line of the first value) and column.
    """
    import pandas as pd

    from analysis.readers._text import check_missing

    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if series.dtype.kind in "fiub":
        return np.asarray(series.to_numpy(np.float64, na_value=np.nan), dtype=np.float64)
    from analysis.readers._durations import arrow_text, duration_seconds

    seconds = duration_seconds(arrow_text(series))
    failed = np.flatnonzero(np.isnan(seconds) & series.notna().to_numpy())
    if len(failed):
        # Plain numbers (seconds) and inf among the durations; only the failed rows are looked at.
        stripped = series.iloc[failed].astype("string").str.strip()
        plain = pd.to_numeric(stripped, errors="coerce").to_numpy(np.float64, na_value=np.nan)
        seconds[failed] = plain
        still = failed[np.isnan(plain)]
        if column is not None and len(still):
            check_missing(
                series,
                still,
                file=file,
                column=column,
                first_row=first_row,
                expected="a duration (HH:MM:SS) or a number",
            )
    return seconds
