"""Simulated impedance spectra of the demo study's half cells. DEMO DATA, not measurements.

Equivalent circuit (impedance.py's notation): ``R0-p(R1,CPE1)-p(R2,CPE2)-W1``, i.e.
``Z = Rb + Z_RQ(RSEI, Q_SEI, n_SEI) + Z_RQ(RCT, Q_CT, n_CT) + sigma (1 - j) / sqrt(omega)``
with ``Z_RQ = R / (1 + R Q (j omega)^n)``; an arc with R = 0 is left out. Frequencies 1 MHz to
0.1 Hz, 10 points per decade (71 points), logarithmic, high to low, as EC-Lab sweeps them;
each point takes two periods plus 0.2 s. Noise: Gaussian, 0.3 % of |Z| on the real and the
imaginary part (seeded). Potentiostatic EIS at open circuit, 10 mV amplitude (BioLogic VSP-300).

Values (ohm, cell area 0.785 cm2), chosen to show the paper's contrasts (Figs. 3 and 5), not
fitted to its data:

- After 5 and 10 plating/stripping cycles (:data:`POST_CYCLING`): one arc (RCT) plus a small
  diffusion tail; RCT lowest for MgAgSn (Elastane 19 -> 22 ohm), higher for the single seeds
  (Ag 48 -> 92, Mg 62 -> 118, Sn 74 -> 141) and growing from 5 to 10 cycles; Rb ~27-33 ohm.
- In-situ, every 10 min during one plating (1 mA/cm2, 1 h: spectra 1-6) and the following
  stripping (spectra 7-11, until the 1.0 V cut-off): Elastane keeps a single arc (RCT 20 -> 16
  ohm while plating, 17 -> 27 while stripping); PVDF shows an extra high-frequency SEI arc
  (Q 2e-7, n 0.92, apex ~100 kHz) whose RSEI grows 6 -> 16 -> 30 ohm, and a larger RCT that
  jumps in the last stripping sequences (void formation): 30 -> 36, then 38 -> 75 ohm.
  Between spectra the cell is plated or stripped at +-1 mA/cm2 (the half-cell model of
  :mod:`analysis.simulate.cycling`, first cycle), so the file holds the potential and current
  of the whole sequence (a Modulo Bat run).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from analysis.simulate._trace import MODE_CC, CyclerTrace, FloatArray
from analysis.simulate.cycling import (
    HALF_CELL_CURRENT_mA,
    HalfCellModel,
    coulombic_efficiencies,
    plating_curve,
    stripping_curve,
)
from analysis.simulate.writers import Spectrum

ComplexArray = npt.NDArray[np.complex128]
SEQUENCE_INTERVAL_S = 600.0
NOISE_FRACTION = 0.003


@dataclass(frozen=True)
class Circuit:
    """``Rb + (RSEI || CPE) + (RCT || CPE) + W`` parameters (ohm, F s^(n-1), ohm s^-1/2)."""

    rb: float
    rct: float
    q_ct: float = 3e-5
    n_ct: float = 0.85
    r_sei: float = 0.0
    q_sei: float = 2e-7
    n_sei: float = 0.92
    sigma: float = 8.0

    def impedance(self, frequency_hz: FloatArray) -> ComplexArray:
        jw = 1j * 2.0 * np.pi * frequency_hz
        z = np.full(frequency_hz.size, self.rb, dtype=np.complex128)
        for r, q, n in ((self.r_sei, self.q_sei, self.n_sei), (self.rct, self.q_ct, self.n_ct)):
            if r > 0:
                z += r / (1.0 + r * q * jw**n)
        if self.sigma > 0:
            omega = 2.0 * np.pi * frequency_hz
            z += self.sigma * (1.0 - 1j) / np.sqrt(omega)
        return np.asarray(z, dtype=np.complex128)


def frequencies(f_max_hz: float = 1e6, f_min_hz: float = 0.1, per_decade: int = 10) -> FloatArray:
    """Logarithmic frequencies from high to low, ``per_decade`` points per decade."""
    decades = math.log10(f_max_hz / f_min_hz)
    n = round(decades * per_decade) + 1
    return np.asarray(np.logspace(math.log10(f_max_hz), math.log10(f_min_hz), n))


def measure(
    circuit: Circuit,
    rng: np.random.Generator,
    *,
    start_s: float,
    potential_V: float,
    current_mA: float = 0.0,
    charge_mAh: float = 0.0,
) -> Spectrum:
    """One noisy spectrum starting at ``start_s`` (each point: two periods + 0.2 s)."""
    f = frequencies()
    z = circuit.impedance(f)
    mag = np.abs(z)
    z = z + mag * NOISE_FRACTION * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size))
    durations = 2.0 / f + 0.2
    times = start_s + np.concatenate(([0.0], np.cumsum(durations[:-1])))
    return Spectrum(
        frequency_hz=f,
        impedance_ohm=np.asarray(z, dtype=np.complex128),
        time_s=np.asarray(times, dtype=np.float64),
        potential_V=potential_V,
        current_mA=current_mA,
        charge_mAh=charge_mAh,
    )


#: formulation -> (Rb, RCT after 5 cycles, RCT after 10 cycles), ohm
POST_CYCLING: dict[str, tuple[float, float, float]] = {
    "Mg-Elastane": (31.0, 62.0, 118.0),
    "Ag-Elastane": (29.0, 48.0, 92.0),
    "Sn-Elastane": (33.0, 74.0, 141.0),
    "MgAgSn-Elastane": (27.0, 19.0, 22.0),
    "MgAgSn-PVDF": (30.0, 31.0, 44.0),
}


def post_cycling_spectrum(formulation: str, after_cycles: int, *, seed: int) -> Spectrum:
    """The spectrum of a half cell after ``after_cycles`` (5 or 10) plating/stripping cycles."""
    rng = np.random.default_rng(seed)
    rb, rct5, rct10 = POST_CYCLING[formulation]
    rct = rct5 + (rct10 - rct5) * (after_cycles - 5) / 5.0
    circuit = Circuit(
        rb=rb * (1.0 + 0.01 * (after_cycles - 5) / 5.0 + rng.normal(0.0, 0.01)),
        rct=rct * (1.0 + rng.normal(0.0, 0.02)),
    )
    return measure(circuit, rng, start_s=0.0, potential_V=-0.0004 + rng.normal(0.0, 1e-4))


#: binder -> (RSEI per sequence, RCT per sequence) for plating 1-6 then stripping 1-5, ohm
INSITU: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "Elastane": (
        (0.0,) * 11,
        (20.0, 19.2, 18.4, 17.6, 16.8, 16.0, 17.0, 18.0, 20.0, 23.0, 27.0),
    ),
    "PVDF": (
        (6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 21.0, 24.0, 27.0, 30.0),
        (30.0, 31.2, 32.4, 33.6, 34.8, 36.0, 38.0, 42.0, 48.0, 58.0, 75.0),
    ),
}


def insitu_series(
    binder: str, model: HalfCellModel, *, seed: int
) -> tuple[CyclerTrace, list[tuple[int, Spectrum]]]:
    """In-situ EIS during one plating (6 x 10 min) and stripping (10 min steps to the cut-off).

    Returns the galvanostatic rows (Modulo Bat sequences: Ns 0 plating, Ns 2 stripping; cycle
    0) and the spectra with the Ns of their PEIS sequence (1 during plating, 3 during
    stripping). A spectrum is taken after each full 10-min step, so a stripping that ends at
    the cut-off inside its sixth step gives five stripping spectra.
    """
    rng = np.random.default_rng(seed)
    r_sei, r_ct = INSITU[binder]
    # at least 84.5 % so that five 10-min stripping steps fit before the cut-off (paper, Fig. 5)
    ce = max(float(coulombic_efficiencies(model, rng)[0]), 0.845)
    trace = CyclerTrace(record_dt_s=60.0, record_dv_V=0.02)
    spectra: list[tuple[int, Spectrum]] = []
    gap = 0.001
    rb = 27.0 if binder == "Elastane" else 30.0
    q_ct = 3e-5

    for phase, (t, v, clean) in enumerate(
        (plating_curve(model, 1, 0.0, rng), stripping_curve(model, 1, ce, 0.0, rng))
    ):
        sign = -1.0 if phase == 0 else 1.0
        ns = 0 if phase == 0 else 2
        bounds = np.arange(0.0, t[-1], SEQUENCE_INTERVAL_S)
        for start in bounds:
            stop = min(start + SEQUENCE_INTERVAL_S, float(t[-1]))
            sel = (t >= start - 1e-9) & (t <= stop + 1e-9)
            trace.add(
                t[sel] - start,
                v[sel],
                np.full(int(sel.sum()), sign * HALF_CELL_CURRENT_mA),
                step=ns,
                cycle=0,
                mode=MODE_CC,
                control=sign * HALF_CELL_CURRENT_mA,
                clean_V=clean[sel],
                gap_s=gap,
            )
            gap = 0.001
            if stop - start < SEQUENCE_INTERVAL_S - 1e-6 or len(spectra) >= 11:
                continue
            k = len(spectra)
            circuit = Circuit(
                rb=rb * (1.0 + rng.normal(0.0, 0.005)),
                rct=r_ct[k] * (1.0 + rng.normal(0.0, 0.01)),
                q_ct=q_ct,
                r_sei=r_sei[k] * (1.0 + rng.normal(0.0, 0.01)) if r_sei[k] else 0.0,
            )
            spectrum = measure(
                circuit,
                rng,
                start_s=trace.end_time_s + 1.0,
                potential_V=-0.0003 + rng.normal(0.0, 5e-5),
                charge_mAh=trace.end_charge_mAh,
            )
            spectra.append((ns + 1, spectrum))
            gap = float(spectrum.time_s[-1] - trace.end_time_s) + 2.0 / 0.1 + 0.2 + 1.0
    return trace, spectra
