"""EC-Lab ASCII export of a Modulo Bat run: galvanostatic sequences interleaved with PEIS
spectra (in-situ EIS)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from analysis.simulate._trace import CyclerTrace
from analysis.simulate.writers.counters import _step_table
from analysis.simulate.writers.eclab import (
    InstrumentInfo,
    _mpt_header,
    _rows,
    _settings_table,
    _write_mpt,
)
from analysis.simulate.writers.gcpl import GALVANO_COLUMNS, _galvano_columns
from analysis.simulate.writers.peis import Spectrum, _spectrum_columns

#: Columns of a Modulo Bat run mixing galvanostatic sequences and PEIS (in-situ EIS).
MB_COLUMNS = (
    *GALVANO_COLUMNS,
    "freq/Hz",
    "Re(Z)/Ohm",
    "-Im(Z)/Ohm",
    "|Z|/Ohm",
    "Phase(Z)/deg",
    "<Ewe>/V",
    "<I>/mA",
    "|Ewe|/V",
    "|I|/A",
    "cycle number",
    "z cycle",
)


def write_insitu_mpt(
    path: str | Path,
    trace: CyclerTrace,
    spectra: Sequence[tuple[int, Spectrum]],
    info: InstrumentInfo,
    *,
    settings: Sequence[tuple[str, Sequence[str]]],
) -> Path:
    """A Modulo Bat export: galvanostatic rows of ``trace`` interleaved with PEIS spectra.

    ``spectra`` pairs each spectrum with the Ns of its PEIS sequence; a spectrum goes after the
    last trace row recorded before its first point. As EC-Lab writes a run mixing techniques
    (cellpy's ``biol.mpr``, a GCPL + GEIS run, shows it): DC rows carry ``freq/Hz`` = 0 and zero
    impedance columns; ``z cycle`` counts the impedance runs from 0 and the DC rows keep the
    number of the last run before them (0 before the first); on an impedance row ``I/mA`` is
    the sampled AC current (amplitude ``|I|``, sign changing from point to point) while
    ``<I>/mA`` is its DC mean and ``Ewe/V`` the DC potential.
    """
    s = _step_table(trace)
    current = np.asarray(s["current_mA"], dtype=np.float64)
    voltage = np.asarray(s["voltage_V"], dtype=np.float64)
    n = current.size
    zeros = np.zeros(n)
    dc: dict[str, npt.NDArray[np.generic]] = {
        **_galvano_columns(s),
        "freq/Hz": zeros,
        "Re(Z)/Ohm": zeros,
        "-Im(Z)/Ohm": zeros,
        "|Z|/Ohm": zeros,
        "Phase(Z)/deg": zeros,
        "<Ewe>/V": voltage,
        "<I>/mA": current,
        "|Ewe|/V": zeros,
        "|I|/A": zeros,
        "cycle number": s["cycle"].astype(np.float64),
        "z cycle": zeros,
    }
    times = np.asarray(s["time_s"], dtype=np.float64)
    starts = np.array([sp.time_s[0] for _, sp in spectra], dtype=np.float64)
    # the z cycle counter as EC-Lab keeps it: the number of the last impedance run (from 0)
    dc["z cycle"] = np.maximum(np.searchsorted(starts, times, side="right") - 1, 0).astype(
        np.float64
    )
    dc_rows = _rows(MB_COLUMNS, dc)
    blocks: list[tuple[float, int, list[str]]] = [
        (float(t), 0, [row]) for t, row in zip(times.tolist(), dc_rows, strict=True)
    ]
    half = np.asarray(s["half_cycle"], dtype=np.int64)
    for k, (ns, sp) in enumerate(spectra):
        cols = _spectrum_columns(sp, 0, ns)
        m = sp.frequency_hz.size
        at = int(np.searchsorted(times, sp.time_s[0]) - 1)
        amplitude_mA = 1000.0 * np.asarray(cols["|I|/A"], dtype=np.float64)
        # the instantaneous AC current EC-Lab logs: a sample of I_dc + |I| sin(w t)
        ac_mA = sp.current_mA + amplitude_mA * np.sin(2.0 * np.pi * sp.frequency_hz * sp.time_s)
        data = {
            **{c: cols[c] for c in MB_COLUMNS if c in cols},
            "mode": np.full(m, 3, dtype=np.int64),
            "ox/red": np.zeros(m, dtype=np.int64),
            "error": np.zeros(m, dtype=np.int64),
            "control changes": np.r_[1, np.zeros(m - 1)].astype(np.int64),
            "Ns changes": np.r_[1, np.zeros(m - 1)].astype(np.int64),
            "counter inc.": np.zeros(m, dtype=np.int64),
            "control/V/mA": np.zeros(m),
            "Ewe/V": np.full(m, sp.potential_V),
            "I/mA": ac_mA,
            "dQ/C": np.zeros(m),
            "half cycle": np.full(m, half[max(at, 0)], dtype=np.int64),
            "cycle number": np.full(m, float(s["cycle"][max(at, 0)])),
            "z cycle": np.full(m, float(k)),
        }
        blocks.append((float(sp.time_s[0]), 1, _rows(MB_COLUMNS, data)))
    blocks.sort(key=lambda b: (b[0], b[1]))
    rows = [row for _, _, block in blocks for row in block]
    header = _mpt_header("Modulo Bat", info, _settings_table(settings))
    return _write_mpt(Path(path), header, MB_COLUMNS, rows)
