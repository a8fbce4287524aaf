"""EIS fitting benchmark against impedance.py (``python bench/eis.py``), printing ratios.

1. Speed and agreement: impedance.py's own case, ``R0-p(R1,CPE1)-p(R2,CPE2)`` on the Im Z < 0
   points of its ``exampleData.csv``, guess ``[.01,.005,.1,.9,.005,.1,.9]``, unweighted; both
   fits timed alternately in this process (median of repeats). Targets: >= 30x faster,
   parameters within 1e-3 relative.
2. Series: 1,000 synthetic two-arc spectra with drifting Rb/RSEI/RCT and noise through the EIS
   pipeline (the one a job runs) with lin-KK and DRT off: warm-started fits with the refit
   guard. Target: <= 2 ms per spectrum. Then 100 spectra with lin-KK and DRT on, as a job
   runs them by default (printed, no target).
3. Robustness: 200 random starting points (scale parameters x 10^U(-1,1), CPE exponents
   U(0.5,1)) for both tools; a start succeeds when its chi-square is within 1e-4 (relative) of
   the global minimum. Target: >= 95 %.

impedance.py 1.7.1 is installed by this script into its own virtualenv under
``bench/.peers/impedance-venv`` (gitignored) and imported from there; it needs nothing but the
numpy/scipy/pandas this project already pins.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis import pipelines  # noqa: E402
from analysis.eis import fit_circuit, parse_circuit  # noqa: E402

PEER_VENV = ROOT / "bench" / ".peers" / "impedance-venv"
PEER_PINS = ["impedance==1.7.1", "pandas==3.1.1"]
DATA = ROOT.parent / "shared" / "data" / "eis" / "ECSHackWeek+impedance.py" / "data"
CIRCUIT = "R0-p(R1,CPE1)-p(R2,CPE2)"
GUESS = [0.01, 0.005, 0.1, 0.9, 0.005, 0.1, 0.9]


def peer_site_packages() -> Path:
    if not (PEER_VENV / "bin" / "python").exists():
        print(f"installing {', '.join(PEER_PINS)} into {PEER_VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(PEER_VENV / "bin" / "pip"), "install", "-q", *PEER_PINS], check=True)
    found = sorted(PEER_VENV.glob("lib/python*/site-packages"))
    return found[0]


def load_example() -> tuple[np.ndarray, np.ndarray]:
    d = np.loadtxt(DATA / "exampleData.csv", delimiter=",")
    f, z = d[:, 0], d[:, 1] + 1j * d[:, 2]
    keep = z.imag < 0
    return f[keep], z[keep]


def chi2(f: np.ndarray, z: np.ndarray, params: np.ndarray) -> float:
    r = parse_circuit(CIRCUIT).impedance(f, params) - z
    return float(np.sum(r.real**2 + r.imag**2))


def speed(f: np.ndarray, z: np.ndarray, custom_circuit: Any, repeats: int) -> dict[str, Any]:
    ours_t, peer_t = [], []
    ours = peer = None
    for _ in range(repeats):
        t = time.perf_counter()
        ours = fit_circuit(f, z, CIRCUIT, GUESS, weighting="none")
        ours_t.append(time.perf_counter() - t)
        model = custom_circuit(CIRCUIT, initial_guess=list(GUESS))
        t = time.perf_counter()
        model.fit(f, z)
        peer_t.append(time.perf_counter() - t)
        peer = np.asarray(model.parameters_)
    assert ours is not None and peer is not None
    return {
        "ours_ms": 1e3 * statistics.median(ours_t),
        "peer_ms": 1e3 * statistics.median(peer_t),
        "ours": ours.values,
        "peer": peer,
    }


def series(n: int = 1000, full: bool = False) -> dict[str, float]:
    rng = np.random.default_rng(3)
    f = np.geomspace(1e6, 0.1, 50)
    circ = parse_circuit(CIRCUIT)
    frames = []
    truth = []
    for k in range(n):
        x = k / (n - 1)
        rb, rsei, rct = 10 + 5 * x, 5 + 20 * x, 50 + 100 * x
        p = [rb, rsei, 1e-5**0.9 / rsei, 0.9, rct, 1e-2**0.8 / rct, 0.8]
        z = circ.impedance(f, p)
        z = z * (1 + 0.002 * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size)))
        frames.append(
            pd.DataFrame(
                {"spectrum": k, "frequency_hz": f, "z_real_ohm": z.real, "z_imag_ohm": z.imag}
            )
        )
        truth.append((rb, rsei, rct))
    table = pd.concat(frames, ignore_index=True)
    t = time.perf_counter()
    result = pipelines.run("eis", table, {"circuit": CIRCUIT, "kk": full, "drt": full})
    elapsed = time.perf_counter() - t
    fits = [s.fit for s in result.detail]
    got = np.array([[r.parameters["R0"], r.parameters["R1"], r.parameters["R2"]] for r in fits])
    err = np.max(np.abs(got / np.array(truth) - 1), axis=0)
    return {"ms_per_spectrum": 1e3 * elapsed / n, "rb": err[0], "rsei": err[1], "rct": err[2]}


def robustness(
    f: np.ndarray, z: np.ndarray, custom_circuit: Any, n: int, peer_n: int
) -> dict[str, float]:
    rng = np.random.default_rng(42)
    exponent = np.array([u == "" for u in parse_circuit(CIRCUIT).units])
    starts = []
    for _ in range(n):
        g = np.array(GUESS) * 10 ** rng.uniform(-1, 1, len(GUESS))
        starts.append(np.where(exponent, rng.uniform(0.5, 1.0, len(GUESS)), g))
    ours = [fit_circuit(f, z, CIRCUIT, s, weighting="none").chi_square for s in starts]
    best_auto = fit_circuit(f, z, CIRCUIT, weighting="none", multistart=20).chi_square
    peer = []
    for s in starts[:peer_n]:
        model = custom_circuit(CIRCUIT, initial_guess=list(s))
        try:
            model.fit(f, z)
            peer.append(chi2(f, z, np.asarray(model.parameters_)))
        except Exception:  # impedance.py raises on some starts (e.g. NaN residuals)
            peer.append(np.inf)
    global_min = min(min(ours), min(peer), best_auto)

    def rate(values: list[float]) -> float:
        return float(np.mean(np.array(values) <= global_min * (1 + 1e-4)))

    return {"ours": rate(ours), "peer": rate(peer), "global_min": global_min, "peer_n": peer_n}


def main() -> int:
    warnings.simplefilter("ignore")
    sys.path.append(str(peer_site_packages()))
    from impedance.models.circuits import CustomCircuit

    f, z = load_example()
    print(f"impedance.py case: {CIRCUIT}, {f.size} points (Im Z < 0), guess {GUESS}, unweighted")
    s = speed(f, z, CustomCircuit, repeats=7)
    rel = np.max(np.abs(s["ours"] / s["peer"] - 1))
    print(
        f"  labdb {s['ours_ms']:.1f} ms, impedance.py {s['peer_ms']:.1f} ms per fit: "
        f"{s['peer_ms'] / s['ours_ms']:.1f}x faster (target >= 30x)"
    )
    print(f"  largest relative parameter difference: {rel:.1e} (target <= 1e-3)")
    print(f"  chi2 labdb {chi2(f, z, s['ours']):.9e}, impedance.py {chi2(f, z, s['peer']):.9e}")

    sr = series()
    print(
        f"series: 1000 warm-started spectra, {sr['ms_per_spectrum']:.2f} ms per spectrum "
        f"(target <= 2 ms); worst relative error Rb {sr['rb']:.1%}, RSEI {sr['rsei']:.1%}, "
        f"RCT {sr['rct']:.1%}"
    )

    full = series(100, full=True)
    print(f"series with lin-KK and DRT (as a job): {full['ms_per_spectrum']:.1f} ms per spectrum")

    rb = robustness(f, z, CustomCircuit, n=200, peer_n=200)
    print(
        f"robustness: 200 random starts reach the global minimum (chi2 {rb['global_min']:.6e}): "
        f"labdb {rb['ours']:.1%} (target >= 95 %), impedance.py {rb['peer']:.1%}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
