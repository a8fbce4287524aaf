"""Gamry Framework ``.DTA`` files of potentiostatic EIS (``EISPOT``), one spectrum per file, as
a Gamry sequence writes an in-situ series (each EIS measurement its own file, the cycling in
another).

The layout follows the real files of the shared data (impedance.py's ``exampleDataGamry.DTA``,
pyimpspec's ``data.dta``): ``EXPLAIN``, tab-separated ``KEY<TAB>TYPE<TAB>VALUE`` header lines
(``TAG EISPOT``, ``TITLE``, ``DATE`` in the US ``M/D/YYYY`` form, ``TIME`` in whole seconds,
the frequency settings), an ``OCVCURVE`` table for the initial delay (``Pt T Vf Vm Ach Over
Temp``, ``T`` from the start of the experiment), ``EOC``, then the ``ZCURVE`` table (``Pt Time
Freq Zreal Zimag Zsig Zmod Zphz Idc Vdc IERange``, a row of units, one row per frequency;
``Time`` counts from the start of the ZCURVE). Windows-1252 text with CRLF line ends.

``DATE``/``TIME`` is the start of the experiment: the spectrum's first point (on the run's
clock, ``started`` + ``time_s[0]``) minus the delay, rounded down to the second; the OCV curve
lasts what is left of the delay, so the ZCURVE starts at the spectrum's own first time.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np

from analysis.simulate.writers.peis import Spectrum


def write_gamry_eis_dta(
    path: str | Path,
    spectrum: Spectrum,
    started: dt.datetime,
    *,
    delay_s: float = 10.0,
    area_cm2: float = 1.0,
) -> Path:
    """Write ``spectrum`` (times on the clock of a run that began at ``started``, wall clock
    without a time zone) as a Gamry EISPOT ``.DTA`` file."""
    path = Path(path)
    first = float(spectrum.time_s[0])
    begin = started + dt.timedelta(seconds=first - delay_s)
    begin = begin.replace(microsecond=0)
    ocv_s = (started + dt.timedelta(seconds=first) - begin).total_seconds()
    f = spectrum.frequency_hz
    z = spectrum.impedance_ohm
    lines = [
        "EXPLAIN",
        "TAG\tEISPOT",
        "TITLE\tLABEL\tPotentiostatic EIS\tTest &Identifier",
        f"DATE\tLABEL\t{begin.month}/{begin.day}/{begin.year}\tDate",
        f"TIME\tLABEL\t{begin:%H:%M:%S}\tTime",
        "PSTAT\tPSTAT\tREF3000-00001\tPotentiostat",
        f"VDC\tPOTEN\t{spectrum.potential_V:.5E}\tT\tDC &Voltage (V)",
        f"FREQINIT\tQUANT\t{float(np.max(f)):.5E}\tInitial Fre&q. (Hz)",
        f"FREQFINAL\tQUANT\t{float(np.min(f)):.5E}\tFinal Fre&q. (Hz)",
        "PTSPERDEC\tQUANT\t1.00000E+001\tPoints/&decade",
        "VAC\tQUANT\t1.00000E+001\tAC &Voltage (mV rms)",
        f"AREA\tQUANT\t{area_cm2:.5E}\t&Area (cm^2)",
        f"DELAY\tTWOPARAM\tT\t{delay_s:.5E}\t0.00000E+000\tInit. De&lay\tTime(s)\tStab.(mV/s)",
        f"OCVCURVE\tTABLE\t{max(2, int(ocv_s // 0.25) + 1)}",
        "\tPt\tT\tVf\tVm\tAch\tOver\tTemp",
        "\t#\ts\tV vs. Ref.\tV\tV\tbits\tdeg C",
    ]
    n_ocv = max(2, int(ocv_s // 0.25) + 1)
    for k, t in enumerate(np.linspace(0.0, ocv_s, n_ocv)):
        v = spectrum.potential_V
        lines.append(f"\t{k}\t{t:.6g}\t{v:.5E}\t{v:.5E}\t0.00000E+000\t..........a\t-327.67")
    lines += [
        f"EOC\tQUANT\t{spectrum.potential_V:.7g}\tOpen Circuit (V)",
        "ZCURVE\tTABLE",
        "\tPt\tTime\tFreq\tZreal\tZimag\tZsig\tZmod\tZphz\tIdc\tVdc\tIERange",
        "\t#\ts\tHz\tohm\tohm\tV\tohm\t°\tA\tV\t#",
    ]
    for k in range(f.size):
        t = float(spectrum.time_s[k]) - first
        phase = math.degrees(math.atan2(z[k].imag, z[k].real))
        lines.append(
            f"\t{k}\t{t:.7g}\t{f[k]:.7g}\t{z[k].real:.7g}\t{z[k].imag:.7g}\t1\t{abs(z[k]):.7g}"
            f"\t{phase:.7g}\t{spectrum.current_mA / 1000.0:.7g}\t{spectrum.potential_V:.7g}\t8"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path
