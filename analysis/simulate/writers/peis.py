"""EC-Lab ASCII export of PEIS (Potentio Electrochemical Impedance Spectroscopy) spectra."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from analysis.simulate._trace import FloatArray
from analysis.simulate.writers.eclab import (
    InstrumentInfo,
    _mpt_header,
    _rows,
    _settings_table,
    _write_mpt,
)

PEIS_COLUMNS = (
    "freq/Hz",
    "Re(Z)/Ohm",
    "-Im(Z)/Ohm",
    "|Z|/Ohm",
    "Phase(Z)/deg",
    "time/s",
    "<Ewe>/V",
    "<I>/mA",
    "Cs/µF",
    "Cp/µF",
    "cycle number",
    "I Range",
    "|Ewe|/V",
    "|I|/A",
    "Ns",
    "(Q-Qo)/mA.h",
    "Re(Y)/Ohm-1",
    "Im(Y)/Ohm-1",
    "|Y|/Ohm-1",
    "Phase(Y)/deg",
    "dq/mA.h",
)


@dataclass(frozen=True)
class Spectrum:
    """One impedance spectrum as a potentiostat records it."""

    frequency_hz: FloatArray
    impedance_ohm: npt.NDArray[np.complex128]
    time_s: FloatArray  # time of each point since the start of the run
    potential_V: float
    current_mA: float
    charge_mAh: float = 0.0


def _spectrum_columns(sp: Spectrum, cycle: int, ns: int) -> dict[str, npt.NDArray[np.generic]]:
    z = sp.impedance_ohm
    f = sp.frequency_hz
    n = f.size
    amp_V = 0.01
    omega = 2.0 * np.pi * f
    y = 1.0 / z
    mag = np.abs(z)
    return {
        "freq/Hz": f,
        "Re(Z)/Ohm": z.real,
        "-Im(Z)/Ohm": -z.imag,
        "|Z|/Ohm": mag,
        "Phase(Z)/deg": np.degrees(np.angle(z)),
        "time/s": sp.time_s,
        "<Ewe>/V": np.full(n, sp.potential_V),
        "<I>/mA": np.full(n, sp.current_mA),
        "Cs/µF": -1e6 / (omega * z.imag),
        "Cp/µF": 1e6 * y.imag / omega,
        "cycle number": np.full(n, float(cycle)),
        "I Range": np.full(n, 10, dtype=np.int64),
        "|Ewe|/V": np.full(n, amp_V),
        "|I|/A": amp_V / mag,
        "Ns": np.full(n, ns, dtype=np.int64),
        "(Q-Qo)/mA.h": np.full(n, sp.charge_mAh),
        "Re(Y)/Ohm-1": y.real,
        "Im(Y)/Ohm-1": y.imag,
        "|Y|/Ohm-1": np.abs(y),
        "Phase(Y)/deg": np.degrees(np.angle(y)),
        "dq/mA.h": np.zeros(n),
    }


def peis_settings(f_max_hz: float, f_min_hz: float, points_per_decade: int) -> list[str]:
    """The PEIS settings block of an EC-Lab export."""

    def freq(value: float) -> tuple[str, str]:
        for unit, scale in (("MHz", 1e6), ("kHz", 1e3), ("Hz", 1.0), ("mHz", 1e-3)):
            if value >= scale:
                return f"{value / scale:.3f}", unit
        return f"{value * 1e3:.3f}", "mHz"

    fi, ufi = freq(f_max_hz)
    ff, uff = freq(f_min_hz)
    rows = [
        ("Mode", ["Single sine"]),
        ("E (V)", ["0.0000"]),
        ("vs.", ["Eoc"]),
        ("tE (h:m:s)", ["0:00:0.0000"]),
        ("record", ["0"]),
        ("dI", ["0.000"]),
        ("unit dI", ["mA"]),
        ("dt (s)", ["0.000"]),
        ("fi", [fi]),
        ("unit fi", [ufi]),
        ("ff", [ff]),
        ("unit ff", [uff]),
        ("Nd", [str(points_per_decade)]),
        ("Points", ["per decade"]),
        ("spacing", ["Logarithmic"]),
        ("Va (mV)", ["10.0"]),
        ("pw", ["0.10"]),
        ("Na", ["2"]),
        ("corr", ["0"]),
        ("E range min (V)", ["-5.000"]),
        ("E range max (V)", ["5.000"]),
        ("I Range", ["Auto"]),
        ("Bandwidth", ["7"]),
        ("nc cycles", ["0"]),
        ("goto Ns'", ["0"]),
        ("nr cycles", ["0"]),
        ("inc. cycle", ["0"]),
    ]
    return _settings_table(rows)


def write_peis_mpt(
    path: str | Path,
    spectra: Sequence[Spectrum],
    info: InstrumentInfo,
    *,
    points_per_decade: int = 10,
) -> Path:
    """Write PEIS spectra as an EC-Lab text export; each spectrum is one ``cycle number``."""
    parts = [_spectrum_columns(sp, i, 0) for i, sp in enumerate(spectra)]
    data = {c: np.concatenate([p[c] for p in parts]) for c in PEIS_COLUMNS}
    f = spectra[0].frequency_hz
    header = _mpt_header(
        "Potentio Electrochemical Impedance Spectroscopy",
        info,
        peis_settings(float(f.max()), float(f.min()), points_per_decade),
    )
    return _write_mpt(Path(path), header, PEIS_COLUMNS, _rows(PEIS_COLUMNS, data))
