"""Initial guesses for a circuit fit, read off the spectrum itself.

* Series resistance: the high-frequency intercept of the Nyquist plot (real part where the
  imaginary part crosses zero at the highest frequencies, or the real part at f_max).
* Arcs (a resistor in parallel with a C or CPE): the apexes of -Im Z versus log f. An arc of
  resistance R with a CPE (Q, alpha) peaks at f = 1 / (2 pi tau), tau = (R Q)^(1/alpha), with a
  height close to R/2, so R ~ 2 x apex height and Q = tau^alpha / R (C = tau / R).
  Arcs are assigned in circuit order from high to low frequency (``Rb-p(RSEI,CPE)-p(RCT,CPE)``:
  the SEI arc is the high-frequency one).
* Diffusion elements: the low-frequency tail (tau ~ 1/omega_min).

Reference: Orazem and Tribollet, *Electrochemical Impedance Spectroscopy* (2017), ch. 16
(graphical methods); Hirschorn et al., Electrochim. Acta 55, 6218 (2010) for tau = (R Q)^(1/alpha).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from analysis.eis.circuit import Circuit, Element, Node
from analysis.eis.elements import Complex, Real

DEFAULT_ALPHA = 0.85


@dataclass(frozen=True)
class _Scale:
    r_hf: float
    r_pol: float
    w_min: float
    w_max: float
    z_lf: complex


def spectrum_scale(frequency_hz: Real, impedance: Complex) -> tuple[float, float]:
    """High-frequency intercept and polarisation width (both ohm) of a spectrum."""
    s = _scale(np.asarray(frequency_hz, float), np.asarray(impedance, complex))
    return s.r_hf, s.r_pol


def _scale(f: Real, z: Complex) -> _Scale:
    order = np.argsort(f)[::-1]
    f, z = f[order], z[order]
    im = z.imag
    r_hf = float(z.real[0])
    crossing = np.nonzero((im[:-1] > 0) & (im[1:] <= 0))[0]
    if crossing.size and crossing[0] < f.size // 2:
        i = int(crossing[0])
        t = im[i] / (im[i] - im[i + 1])
        r_hf = float(z.real[i] + t * (z.real[i + 1] - z.real[i]))
    else:
        head = max(3, f.size // 10)
        r_hf = float(np.min(z.real[:head]))
    r_hf = max(r_hf, 0.0)
    r_pol = float(np.max(z.real) - r_hf)
    if not r_pol > 0:
        r_pol = float(np.max(np.abs(z))) or 1.0
    return _Scale(r_hf, r_pol, 2 * math.pi * float(f[-1]), 2 * math.pi * float(f[0]), z[-1])


def arc_apexes(frequency_hz: Real, impedance: Complex) -> list[tuple[float, float]]:
    """Local maxima of -Im Z over log f: ``(apex frequency in Hz, height in ohm)``, highest
    frequency first. Apexes lower than 5 % of the largest are ignored."""
    f = np.asarray(frequency_hz, float)
    order = np.argsort(f)[::-1]
    f = f[order]
    y = -np.asarray(impedance, complex)[order].imag
    if y.size >= 5:
        y = np.convolve(np.pad(y, 1, mode="edge"), np.ones(3) / 3, mode="valid")
    top = float(np.max(y)) if y.size else 0.0
    if top <= 0:
        return []
    padded = np.concatenate(([-np.inf], y, [-np.inf]))
    peaks, _ = find_peaks(padded, prominence=0.05 * top)
    return [(float(f[p - 1]), float(y[p - 1])) for p in peaks if y[p - 1] > 0.05 * top]


def _arcs(circ: Circuit) -> list[Node]:
    """Parallel nodes holding a resistor (arcs), in circuit order."""
    found: list[Node] = []

    def walk(node: Node | Element) -> None:
        if isinstance(node, Element):
            return
        if node.op == "p" and any(_has(c, "R") for c in node.children):
            found.append(node)
            return
        for c in node.children:
            walk(c)

    walk(circ.root)
    return found


def _has(node: Node | Element, symbol: str) -> bool:
    if isinstance(node, Element):
        return node.kind.symbol == symbol
    return any(_has(c, symbol) for c in node.children)


def initial_guesses(
    circ: Circuit, frequency_hz: Real, impedance: Complex, *, fixed: Real | None = None
) -> list[Real]:
    """A few full parameter vectors (circuit order) to start a fit from, best first.

    The first uses the detected arc apexes; the others place the arcs on a log-spaced grid
    over the measured range and vary the CPE exponent, so that a multi-start covers the
    usual local minima (arcs swapped, one arc absorbing another)."""
    f = np.asarray(frequency_hz, float)
    z = np.asarray(impedance, complex)
    scale = _scale(f, z)
    arcs = _arcs(circ)
    n = len(arcs)
    apexes = arc_apexes(f, z)
    grid = np.geomspace(scale.w_max / (2 * math.pi), scale.w_min / (2 * math.pi), n + 2)[1:-1]
    layouts: list[list[tuple[float, float]]] = []
    if n:
        detected = sorted(apexes, key=lambda a: -a[1])[:n]
        filled = list(detected)
        for g in grid:
            if len(filled) >= n:
                break
            if all(abs(math.log10(g / a[0])) > 0.5 for a in filled):
                filled.append((float(g), 0.0))
        while len(filled) < n:
            filled.append((float(grid[len(filled)]), 0.0))
        layouts.append(sorted(filled, key=lambda a: -a[0]))
        layouts.append([(float(g), 0.0) for g in grid])
    else:
        layouts.append([])
    guesses: list[Real] = []
    for layout in layouts:
        for alpha in (DEFAULT_ALPHA, 0.7, 0.95):
            guesses.append(_fill(circ, scale, arcs, layout, alpha))
    if fixed is not None:
        for g in guesses:
            mask = fixed != 0
            g[mask] = fixed[mask]
    return guesses


def _fill(
    circ: Circuit,
    scale: _Scale,
    arcs: list[Node],
    layout: list[tuple[float, float]],
    alpha: float,
) -> Real:
    p = np.zeros(circ.n_params)
    heights = np.array([2 * h for _, h in layout])
    if heights.size:
        unknown = heights <= 0
        known = float(heights[~unknown].sum())
        rest = max(scale.r_pol - known, 0.2 * scale.r_pol)
        heights[unknown] = rest / max(int(unknown.sum()), 1)
        heights *= scale.r_pol / heights.sum()
    w_mid = math.sqrt(scale.w_min * scale.w_max)
    in_arc: set[str] = set()
    for (f_apex, _), r_arc, node in zip(layout, heights, arcs, strict=True):
        tau = 1.0 / (2 * math.pi * f_apex)
        for el in _leaves(node):
            in_arc.add(el.name)
            _set(p, el, r_arc, tau, alpha, scale)
    top_r = [el for el in circ.elements if el.name not in in_arc and el.kind.symbol == "R"]
    for el in circ.elements:
        if el.name in in_arc:
            continue
        if el.kind.symbol == "R":
            p[el.first] = max(scale.r_hf, 1e-3 * scale.r_pol) / len(top_r)
        else:
            _set(p, el, scale.r_pol / max(len(arcs), 1), 1.0 / w_mid, alpha, scale)
    return p


def _leaves(node: Node | Element) -> list[Element]:
    if isinstance(node, Element):
        return [node]
    return [leaf for c in node.children for leaf in _leaves(c)]


def _set(p: Real, el: Element, r: float, tau: float, alpha: float, s: _Scale) -> None:
    i, sym = el.first, el.kind.symbol
    if sym in {"R", "G", "K"}:
        p[i] = r
        if sym != "R":
            p[i + 1] = tau
    elif sym == "C":
        p[i] = tau / r
    elif sym == "CPE":
        p[i], p[i + 1] = tau**alpha / r, alpha
    elif sym == "W":
        p[i] = 0.3 * s.r_pol * math.sqrt(s.w_min)
    elif sym in {"Wo", "Ws"}:
        p[i], p[i + 1] = 0.5 * s.r_pol, 1.0 / s.w_min
    elif sym == "L":
        p[i] = 1e-3 * max(s.r_hf, 1e-3 * s.r_pol) / s.w_max
    elif sym == "La":
        p[i], p[i + 1] = 1e-3 * max(s.r_hf, 1e-3 * s.r_pol) / s.w_max, 0.9
    else:  # pragma: no cover - every element symbol is handled above
        p[i : i + el.kind.n_params] = 1.0


def perturbed_starts(start: Real, exponent: np.ndarray, n: int, *, seed: int = 0) -> list[Real]:
    """``n`` random starts around ``start``: scale parameters times 10^U(-1, 1), exponents
    drawn from U(0.5, 1)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        g = start * 10 ** rng.uniform(-1, 1, start.size)
        g = np.where(exponent, rng.uniform(0.5, 1.0, start.size), g)
        out.append(g)
    return out
