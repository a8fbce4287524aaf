"""Impedance spectra from a BioLogic EC-Lab table (.mpt text or .mpr binary, PEIS/GEIS).

The BioLogic readers (``biologic_mpt``, ``biologic_mpr``) parse the file into a raw frame with
EC-Lab's column names and call :func:`biologic_eis_table` whenever that frame has a column
starting with ``freq`` or ``Re(Z)``. EC-Lab writes ``-Im(Z)/Ohm`` (positive for a capacitive
arc); the canonical table stores Im Z = -(-Im(Z)).

Several spectra in one file (``loop``\\s of a modulo-bat sequence, in-situ series of PEIS
during plating/stripping, ``z cycle`` of a multi-sine run) are split where ``z cycle``,
``cycle number`` or ``loop`` changes, or where the frequency restarts a sweep; rows without a
frequency (DC steps of a mixed technique) are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.readers.base import Parsed, ParseError
from analysis.readers.eis_common import eis_table, spectrum_starts

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd


def _column(raw: pd.DataFrame, *names: str) -> str | None:
    for name in names:
        if name in raw.columns:
            return name
    return None


def biologic_eis_table(
    raw: pd.DataFrame,
    *,
    file: str | Path,
    metadata: Mapping[str, Any] | None = None,
    segments: np.ndarray | None = None,
    in_situ: bool = False,
) -> Parsed:
    """Canonical EIS table (kind ``eis``) from a raw EC-Lab frame.

    Columns used: ``freq/Hz``, ``Re(Z)/Ohm``, ``-Im(Z)/Ohm`` (or ``Im(Z)/Ohm``), and when present
    ``time/s``, ``Ewe/V`` or ``<Ewe>/V``, ``I/mA`` or ``<I>/mA`` (converted to ampere),
    ``cycle number``, ``z cycle``, ``loop``. ``cycle`` is EC-Lab's cycle number; ``sequence`` is
    the ``z cycle`` (else ``loop``) number, the position of a spectrum in an in-situ series.
    When ``Re(Z)``/``-Im(Z)`` are not recorded (a ``.mpr`` whose technique kept ``|Z|/Ohm`` and
    ``Phase(Z)/deg`` only, as cellpy's ``biol.mpr``), Z = |Z| (cos phase + j sin phase).
    ``segments`` (one number per row; a mixed file's contiguous blocks of impedance rows) also
    start a new spectrum where it changes; with ``in_situ`` the ``sequence`` is the spectrum's
    1-based position in the file (EC-Lab's ``z cycle`` counts from 0 in real files).
    Raises :class:`ParseError` when the frequency or impedance columns are missing.
    """
    f_col = next((c for c in raw.columns if str(c).startswith("freq")), None)
    re_col = _column(raw, "Re(Z)/Ohm", "Re(Z)/ohm")
    neg_im_col = _column(raw, "-Im(Z)/Ohm", "-Im(Z)/ohm")
    im_col = _column(raw, "Im(Z)/Ohm", "Im(Z)/ohm")
    if f_col is None:
        raise ParseError(
            "impedance data without a frequency column",
            file=file,
            expected="a 'freq/Hz' column",
            found=", ".join(map(str, raw.columns[:8])),
        )
    polar = re_col is None and {"|Z|/Ohm", "Phase(Z)/deg"} <= set(raw.columns)
    if not polar and (re_col is None or (neg_im_col is None and im_col is None)):
        raise ParseError(
            "impedance data without Re(Z) and -Im(Z) columns",
            file=file,
            expected="'Re(Z)/Ohm' and '-Im(Z)/Ohm'",
            found=", ".join(map(str, raw.columns[:8])),
        )
    frame = (
        raw.apply(pd.to_numeric, errors="coerce")
        if any(not pd.api.types.is_numeric_dtype(dtype) for dtype in raw.dtypes)
        else raw
    )
    f = frame[f_col].to_numpy(dtype=np.float64)
    keep = np.isfinite(f) & (f > 0)
    warnings = []
    if not keep.all():
        warnings.append(f"{int((~keep).sum())} rows without a frequency (DC steps) were skipped")
    sub = frame.loc[keep]
    f = f[keep]
    if polar:
        mag = sub["|Z|/Ohm"].to_numpy(dtype=np.float64)
        phase = np.radians(sub["Phase(Z)/deg"].to_numpy(dtype=np.float64))
        re_, im = mag * np.cos(phase), mag * np.sin(phase)
    elif neg_im_col is not None:
        assert re_col is not None
        re_ = sub[re_col].to_numpy(dtype=np.float64)
        im = -sub[neg_im_col].to_numpy(dtype=np.float64)
    else:
        assert im_col is not None and re_col is not None
        re_ = sub[re_col].to_numpy(dtype=np.float64)
        im = sub[im_col].to_numpy(dtype=np.float64)

    starts = spectrum_starts(f)
    counters: dict[str, np.ndarray] = {}
    for name in ("z cycle", "cycle number", "loop"):
        if name in sub.columns:
            values = sub[name].to_numpy(dtype=np.float64)
            counters[name] = values
            starts[1:] |= values[1:] != values[:-1]
    if segments is not None:
        seg = np.asarray(segments)[keep]
        starts[1:] |= seg[1:] != seg[:-1]
    spectrum = np.cumsum(starts) - 1

    extra: dict[str, Any] = {}
    t_col = _column(sub, "time/s")
    if t_col:
        extra["time_second"] = sub[t_col].to_numpy(dtype=np.float64)
    e_col = _column(sub, "Ewe/V", "<Ewe>/V")
    if e_col:
        extra["potential_volt"] = sub[e_col].to_numpy(dtype=np.float64)
    # on an impedance row of a mixed run I/mA is the sampled AC current: only <I>/mA is DC
    i_col = _column(sub, "<I>/mA") if in_situ else _column(sub, "I/mA", "<I>/mA")
    if i_col:
        extra["current_ampere"] = sub[i_col].to_numpy(dtype=np.float64) / 1000.0
    if "cycle number" in counters:
        extra["cycle"] = counters["cycle number"].astype(np.int64)
    if in_situ:
        extra["sequence"] = spectrum + 1
    else:
        for name in ("z cycle", "loop"):
            if name in counters:
                extra["sequence"] = counters[name].astype(np.int64)
                break
    meta = dict(metadata or {})
    meta["technique"] = meta.get("technique", "PEIS/GEIS")
    return eis_table(
        f,
        re_,
        im,
        file=file,
        spectrum=spectrum,
        extra=extra,
        warnings=warnings,
        metadata=meta,
    )
