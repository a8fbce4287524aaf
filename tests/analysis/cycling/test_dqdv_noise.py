"""The dQ/dV peak noise rule: the voltage noise measured from the records, the dQ/dV noise it
causes (analysis.cycling.dqdv.dqdv_noise) against simulated noise, and peaks of generated
curves with known plateaus plus noise: every plateau found, no peak from noise, where the
rules without it find noise peaks. Curves written here from a closed form, not the demo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.cycling.dqdv import dqdv

#: plateaus (potential V, capacity mAh) on a sloping background, a full cell's range
PLATEAUS = [(3.60, 0.3), (3.75, 0.5), (4.00, 0.4)]
LO_V, HI_V, WIDTH_V = 3.4, 4.2, 0.0257  # w = RT/F: an ideal insertion isotherm


def _curves(
    records: int,
    noise_V: float,
    plateaus: list[tuple[float, float]],
    *,
    half_cycles: int = 20,
    slope_mAh_per_V: float = 0.5,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Profiles of ``half_cycles`` half-cycles, each the same ``Q(V) = slope (V - lo) +
    sum Q_k / 2 (1 + tanh((V - E_k) / w))`` sampled at ``records`` equal steps of charge (a
    galvanostatic record), with white voltage noise of sd ``noise_V``."""
    rng = np.random.default_rng(seed)
    v = np.linspace(LO_V, HI_V, 40_001)
    q = slope_mAh_per_V * (v - LO_V)
    for e, cap in plateaus:
        q = q + cap / 2 * (1 + np.tanh((v - e) / WIDTH_V))
    q -= q[0]
    charge = np.linspace(0.0, q[-1], records)
    frames = [
        pd.DataFrame(
            {
                "half_cycle": np.full(records, h, np.int32),
                "capacity_mAh": charge,
                "voltage_volt": np.interp(charge, q, v) + rng.normal(0, noise_V, records),
            }
        )
        for h in range(half_cycles)
    ]
    meta = pd.DataFrame(
        {
            "half_cycle": np.arange(half_cycles),
            "cycle": np.arange(half_cycles) // 2 + 1,
            "kind": ["charge", "discharge"] * (half_cycles // 2),
        }
    )
    return pd.concat(frames, ignore_index=True), meta


@pytest.mark.parametrize(("records", "noise_V"), [(150, 0.0005), (150, 0.002), (2000, 0.002)])
def test_the_measured_noise_predicts_the_scatter_of_dqdv(records: int, noise_V: float) -> None:
    profiles, meta = _curves(records, noise_V, [], half_cycles=40)
    result = dqdv(profiles, meta)
    assert result.parameters["voltage_noise_V"] == pytest.approx(noise_V, rel=0.05)
    # a straight voltage curve: dQ/dV is the constant slope; its scatter is the noise
    c = result.curves
    inner = c[(c["voltage_V"] > LO_V + 0.1) & (c["voltage_V"] < HI_V - 0.1)]
    scatter = float(np.std(inner["dq_dv_mAh_per_V"] - 0.5))
    from analysis.cycling.dqdv import _group_bounds, dqdv_noise, voltage_noise

    hc = profiles["half_cycle"].to_numpy(np.int64)
    v = profiles["voltage_volt"].to_numpy()
    starts, stops = _group_bounds(hc)
    row = np.repeat(np.arange(len(starts)), stops - starts)
    lo = np.floor(v.min() / 0.005) * 0.005 - 0.05
    col = ((v - lo) / 0.005).astype(np.int64)
    grid = np.zeros((len(starts), col.max() + 1))
    grid[:, col.min() + 20 : col.max() - 20] = 0.5
    predicted = dqdv_noise(
        grid, row, col, voltage_noise(v, starts, stops), bin_V=0.005, smooth_V=0.01
    )
    assert scatter == pytest.approx(float(np.median(predicted[grid > 0])), rel=0.15)


@pytest.mark.parametrize(
    ("records", "noise_V"), [(100, 0.002), (300, 0.002), (300, 0.005), (2000, 0.005)]
)
def test_known_plateaus_plus_noise_give_those_peaks_and_no_others(
    records: int, noise_V: float
) -> None:
    profiles, meta = _curves(records, noise_V, PLATEAUS, seed=records)
    true = np.array([e for e, _ in PLATEAUS])
    found = dqdv(profiles, meta).peaks
    nearest = np.abs(found["voltage_V"].to_numpy()[:, None] - true[None, :]).min(axis=1)
    assert found.groupby("half_cycle").size().tolist() == [3] * 20
    assert nearest.max() < 0.01
    # the rules judged against the neighbourhood alone take noise bumps for peaks
    without = dqdv(profiles, meta, noise_factor=0.0).peaks
    assert len(without) > len(found)


def test_a_clean_curve_keeps_every_peak_and_states_the_rule() -> None:
    profiles, meta = _curves(2000, 0.0, PLATEAUS, half_cycles=2)
    result = dqdv(profiles, meta)
    assert len(result.peaks) == 6
    assert result.parameters["noise_factor"] == 5.0
    assert result.parameters["voltage_noise_V"] == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="noise_factor"):
        dqdv(profiles, meta, noise_factor=-1.0)
