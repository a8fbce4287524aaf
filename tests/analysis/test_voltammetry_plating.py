"""CV peaks of an alloying anode with lithium plating at the 0 V vertex (20 and 50 times the
alloying waves), and peaks followed across cycles. The expected peaks are the resolvable local
extrema of the simulator's noise-free current (analysis.simulate.voltammetry.cv_model),
found here with scipy, not by the analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.signal import find_peaks

from analysis import pipelines, voltammetry
from analysis.simulate.voltammetry import (
    MGAGSN_CV_PEAKS,
    CVPeakSpec,
    cv_model,
    plating_ratio_of,
)

NOISE_MA = 0.0003
SCAN_V_PER_S = 0.5e-3


def _noisy(model: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    current = model["current_mA"].to_numpy() + NOISE_MA * rng.standard_normal(len(model))
    return pd.DataFrame(
        {
            "potential_V": model["potential_V"],
            "current_A": current / 1e3,
            "time_s": model["time_s"],
            "cycle": model["cycle"],
        }
    )


def _resolvable(model: pd.DataFrame) -> dict[str, list[float]]:
    """Extrema of the noise-free first cycle with a prominence of at least 10 noise sd."""
    first = model[model["cycle"] == 1]
    e, i = first["potential_V"].to_numpy(), first["current_mA"].to_numpy()
    k = int(np.argmin(e))
    out = {}
    for direction, y, ee in (
        ("cathodic", -i[: k + 1], e[: k + 1]),
        ("anodic", i[k + 1 :], e[k + 1 :]),
    ):
        idx, _ = find_peaks(y, prominence=10 * NOISE_MA)
        out[direction] = sorted(float(ee[j]) for j in idx if y[j] > 0)
    return out


@pytest.mark.parametrize("ratio", [0, 20, 50])
def test_plating_at_the_vertex_does_not_hide_the_alloying_peaks(ratio: int) -> None:
    plating = plating_ratio_of(MGAGSN_CV_PEAKS, ratio) if ratio else None
    model = cv_model(plating=plating, cycles=2)
    expected = _resolvable(model)
    result = voltammetry.cv_peaks(_noisy(model))
    for cycle in (1, 2):
        for direction, potentials in expected.items():
            found = sorted(
                p.potential_V for p in result.peaks if p.cycle == cycle and p.direction == direction
            )
            assert found == pytest.approx(potentials, abs=0.005), (cycle, direction)
    alloying = {round(s.potential_V, 2) for s in MGAGSN_CV_PEAKS}
    kept = {round(p.potential_V, 2) for p in result.peaks if p.cycle == 1}
    # 8 alloying waves at 0x and 20x; at 50x the Li-Ag wave (0.05 V) merges into the
    # plating tail (noise-free prominence 0.9 uA, 3 noise sd): 7 remain
    assert len(alloying & kept) == {0: 8, 20: 8, 50: 7}[ratio]
    if not ratio:
        assert result.plating == ()
        return
    assert plating is not None
    assert [p.sweep for p in result.plating] == [1, 3]
    tail = result.plating[0]
    assert tail.vertex_V == pytest.approx(0.0, abs=1e-9)
    assert tail.vertex_current_mA == pytest.approx(-plating.vertex_current_mA, rel=0.05)
    assert 0.0 < tail.onset_V < 0.05
    plated_mC = plating.vertex_current_mA * plating.tafel_V / SCAN_V_PER_S
    assert tail.charge_mC == pytest.approx(plated_mC, rel=0.25)
    assert tail.stripping_V == pytest.approx(expected["anodic"][0], abs=0.005)
    assert tail.stripping_ratio is not None and 0.4 < tail.stripping_ratio < 1.0


def test_peaks_are_tracked_across_cycles_with_their_shift_and_current() -> None:
    frames = []
    for cycle, shift in enumerate((0.0, 0.01, 0.02), start=1):
        specs = [
            CVPeakSpec(
                s.potential_V + (shift if s.potential_V == 0.42 else 0.0),
                s.height_mA * (1 - 0.1 * (cycle - 1)) if s.potential_V == 0.42 else s.height_mA,
                s.width_V,
                s.direction,
            )
            for s in MGAGSN_CV_PEAKS
        ]
        m = cv_model(peaks=specs, cycles=1)
        if frames:
            m = m.iloc[1:]  # the next cycle starts where the last one ended
        frames.append(m.assign(cycle=cycle))
    model = pd.concat(frames, ignore_index=True)
    model["time_s"] = np.arange(len(model)) * 2.0  # 1 mV steps at 0.5 mV/s
    result = voltammetry.cv_peaks(_noisy(model))
    tracks = result.tracks
    sn = tracks[(tracks["direction"] == "cathodic") & (tracks["potential_V"].between(0.4, 0.47))]
    assert sn["track"].nunique() == 1
    assert sn["cycle"].tolist() == [1, 2, 3]
    assert sn["shift_V"].to_numpy() == pytest.approx([0.0, 0.01, 0.02], abs=0.003)
    assert sn["current_ratio"].to_numpy() == pytest.approx([1.0, 0.9, 0.8], rel=0.05)
    steady = tracks[(tracks["direction"] == "anodic") & (tracks["potential_V"].between(0.7, 0.85))]
    assert steady["shift_V"].abs().max() < 0.003
    out = pipelines.run("cv", _noisy(model), {}).to_json()
    assert len(out["tables"]["peak_tracks"]) == len(result.peaks)
    assert out["summary"]["plating"] == []
