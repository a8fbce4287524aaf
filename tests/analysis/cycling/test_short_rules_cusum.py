"""``ce_cusum`` (issue 13): a window-limited one-sided CUSUM of the half-cell CE above its own
trend finds a persistent rise of a few scatters at its onset, and leaves alone what healthy cells
do: scatter, a trapped-Li low/high pair, a slow conditioning rise, a rate step and its return."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.cycling.ce_cusum import ce_cusum
from analysis.cycling.cycle_rules import CycleView
from analysis.cycling.parameters import CyclingParameters

from .test_short_rules_weak import HEALTHY_WITH_TIES

PARAMS = CyclingParameters()


def _view(ce: np.ndarray | list[float], current: np.ndarray | None = None) -> CycleView:
    ce = np.asarray(ce, dtype=np.float64)
    n = ce.size
    return CycleView(
        number=np.arange(2, n + 2, dtype=np.int64),
        usable=np.ones(n, dtype=bool),
        ce=ce,
        first_mAh=np.full(n, 1.0),
        second_mAh=ce.copy(),
        current_mA=np.full(n, 1.0) if current is None else current,
        excluded=np.zeros(0, dtype=np.int64),
    )


def _steady(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    return 0.985 + rng.normal(0.0, sigma, n)


def test_the_real_healthy_series_with_equal_ces_does_not_fire() -> None:
    assert ce_cusum(_view(HEALTHY_WITH_TIES), PARAMS) == []


def test_scatter_alone_fires_rarely() -> None:
    # 400 healthy series of 50 cycles scattering by 1e-3: the false-alarm rate per cell of
    # Page's CUSUM with k = 1.5, h = 6 (clip 3, window 5) is far below 1 %
    rng = np.random.default_rng(7)
    fired = sum(bool(ce_cusum(_view(_steady(rng, 50, 1e-3)), PARAMS)) for _ in range(400))
    assert fired <= 1


def test_a_trapped_li_pair_does_not_fire() -> None:
    # 0.985 -> 0.972 then 1.003 (the isolated Li back with 0.5 % of older Li): one high cycle
    # adds at most clip - k = 1.5 to the CUSUM
    rng = np.random.default_rng(3)
    ce = _steady(rng, 40, 8e-4)
    ce[20] -= 0.013
    ce[21] += 0.018
    assert ce_cusum(_view(ce), PARAMS) == []


def test_a_slow_conditioning_rise_does_not_fire() -> None:
    # +0.07 % per cycle for 30 cycles (a cell still conditioning) with 1e-3 scatter: the
    # baseline's trend is extrapolated, so the rise is not an excess
    rng = np.random.default_rng(11)
    ce = 0.965 + 7e-4 * np.arange(40) + rng.normal(0.0, 1e-3, 40)
    assert ce_cusum(_view(ce), PARAMS) == []


def test_a_rate_step_and_its_return_do_not_fire() -> None:
    # 10 cycles at 1 mA, 10 at 0.5 mA with CE 0.6 % higher, back to 1 mA
    rng = np.random.default_rng(5)
    current = np.repeat([1.0, 0.5, 1.0], [10, 10, 20])
    ce = np.where(current < 1.0, 0.991, 0.985) + rng.normal(0.0, 8e-4, current.size)
    assert ce_cusum(_view(ce, current), PARAMS) == []


def _step_found(step: float, seed: int) -> tuple[int, float] | None:
    """(onset, detection cycle) of ce_cusum on 40 CEs scattering by 1e-3 that step up by
    ``step`` from the 26th (cycle 27) on, or None."""
    rng = np.random.default_rng(seed)
    ce = _steady(rng, 40, 1e-3)
    ce[25:] += step
    events = ce_cusum(_view(ce), PARAMS)
    return (events[0].cycle, events[0].values["detected_at_cycle"]) if events else None


def test_a_persistent_step_of_five_scatters_is_found_at_its_onset() -> None:
    # Each cycle adds about min(5, 3) - 1.5 = 1.5, so the CUSUM reaches 6 on the fourth cycle;
    # a start that took in the step sees it as a trend, so the rule decides within the window
    # (measured on 100 series: steps of 2, 3, 4, 5, 6 scatters found 5, 33, 67, 90, 97 times)
    found = [_step_found(5e-3, seed) for seed in range(100)]
    hits = [f for f in found if f is not None]
    assert len(hits) >= 85
    assert all(26 <= onset <= 30 and detected <= 31 for onset, detected in hits), hits


def test_one_event_with_its_evidence_and_thresholds() -> None:
    rng = np.random.default_rng(1)
    ce = _steady(rng, 40, 1e-3)
    ce[25:] += 6e-3
    (e,) = ce_cusum(_view(ce), PARAMS)
    assert e.rule == "ce_cusum" and e.half_cycle == "stripping"
    assert 26 <= e.cycle <= 30 and e.values["detected_at_cycle"] <= 31
    assert e.values["cusum"] >= e.values["decision_interval"] == 6.0
    assert e.values["reference"] == 1.5
    assert 0.98 < e.values["baseline_ce"] < 0.99
    assert 5e-4 <= e.values["scatter"] < 2e-3


@pytest.mark.parametrize("seed", range(5))
def test_a_rise_growing_from_within_the_scatter_is_found_once_it_passes_a_few(seed: int) -> None:
    # A filament whose conductance grows e-fold every 3 cycles: CE +0.15 % at onset (1.5
    # scatters: with the reference k = 1.5 it adds nothing), +0.21, +0.29, +0.41 %, ... The
    # rule cannot see the first cycles; its onset estimate lands 0-5 cycles late (measured:
    # +0..+5 on seeds 0-7), the alarm 4-9 cycles after the onset.
    rng = np.random.default_rng(seed)
    ce = _steady(rng, 40, 1e-3)
    onset = 25
    ce[onset:] += 1.5e-3 * np.exp(np.arange(ce.size - onset) / 3.0)
    (e,) = ce_cusum(_view(ce), PARAMS)
    onset_cycle = onset + 2
    assert onset_cycle <= e.cycle <= onset_cycle + 5, e.evidence
    assert onset_cycle + 4 <= e.values["detected_at_cycle"] <= onset_cycle + 9
