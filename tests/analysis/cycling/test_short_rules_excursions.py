"""``ce_excursions`` (issue 13): a half-cell soft short whose filament makes contact only in some
cycles gives isolated high CEs without raising the CE for long; the rule finds two uncompensated
excursions within four cycles at the first of them, and leaves alone what healthy cells do:
scatter, trapped-Li low/high pairs, a slow conditioning rise, a rate step and its return."""

from __future__ import annotations

import numpy as np

from analysis.cycling.ce_cusum import ce_cusum
from analysis.cycling.ce_excursions import ce_excursions, trimmed_scatter
from analysis.cycling.parameters import CyclingParameters

from .test_short_rules_cusum import _steady, _view
from .test_short_rules_weak import HEALTHY_WITH_TIES

PARAMS = CyclingParameters()


def test_the_trimmed_scatter_is_the_standard_deviation_of_independent_ces() -> None:
    rng = np.random.default_rng(0)
    history = 0.985 + rng.normal(0.0, 1e-3, (2000, 30))
    sigma = trimmed_scatter(history)
    assert abs(float(np.mean(sigma)) - 1e-3) < 3e-5  # consistent (bias < 3 %)
    assert float(np.std(sigma)) < 0.21e-3  # measured 0.199e-3 (the IQR estimate: 0.228e-3)
    assert float(np.mean(sigma < 0.6e-3)) < 0.02  # measured 0.9 % (the IQR estimate: 3.4 %)
    # a trapped-Li pair (-13, +18 scatters) in the history: its three large differences are
    # trimmed, so it moves the scatter by less than a quarter (measured +17 %)
    history[:, 10] -= 0.013
    history[:, 11] += 0.018
    assert float(np.mean(trimmed_scatter(history))) < 1.25e-3


def test_the_real_healthy_series_with_equal_ces_does_not_fire() -> None:
    assert ce_excursions(_view(HEALTHY_WITH_TIES), PARAMS) == []


def test_scatter_alone_fires_rarely() -> None:
    # 400 healthy series of 50 cycles scattering normally by 1e-3: two excursions above 5
    # scatters within 4 cycles (P ~ 3e-7 each) almost never happen
    rng = np.random.default_rng(7)
    fired = sum(bool(ce_excursions(_view(_steady(rng, 50, 1e-3)), PARAMS)) for _ in range(400))
    assert fired <= 1


def test_trapped_li_pairs_do_not_fire_even_three_cycles_apart() -> None:
    # 0.985 -> 0.972 then 1.003 (the isolated Li back with 0.5 % of older Li), twice: each
    # high cycle follows a low one
    rng = np.random.default_rng(3)
    ce = _steady(rng, 40, 8e-4)
    for m in (20, 23):
        ce[m] -= 0.013
        ce[m + 1] += 0.018
    assert ce_excursions(_view(ce), PARAMS) == []


def test_a_slow_conditioning_rise_does_not_fire() -> None:
    rng = np.random.default_rng(11)
    ce = 0.965 + 7e-4 * np.arange(40) + rng.normal(0.0, 1e-3, 40)
    assert ce_excursions(_view(ce), PARAMS) == []


def test_a_rate_step_and_its_return_do_not_fire() -> None:
    rng = np.random.default_rng(5)
    current = np.repeat([1.0, 0.5, 1.0], [10, 10, 20])
    ce = np.where(current < 1.0, 0.991, 0.985) + rng.normal(0.0, 8e-4, current.size)
    assert ce_excursions(_view(ce, current), PARAMS) == []


def _intermittent(seed: int) -> np.ndarray:
    """40 CEs scattering by 1e-3; from the 26th (cycle 27) the filament conducts at the end of
    stripping in every other cycle: +1 % (10 scatters) then back to normal, +1.3 %, normal, ..."""
    rng = np.random.default_rng(seed)
    ce = _steady(rng, 40, 1e-3)
    ce[25::2] += np.linspace(0.01, 0.03, ce[25::2].size)
    return ce


def test_intermittent_excursions_are_found_at_their_onset_where_the_cusum_is_not() -> None:
    found = []
    for seed in range(20):
        ce = _intermittent(seed)
        (e,) = ce_excursions(_view(ce), PARAMS)
        found.append((e.cycle, e.values["detected_at_cycle"]))
        # each high cycle adds at most clip - k = 1.5 to the CUSUM and each normal one takes
        # 1.5 away: it never accumulates within its window
        assert ce_cusum(_view(ce), PARAMS) == []
    assert all(f == (27, 29) for f in found), found  # the first excursion, confirmed at 29


def test_a_high_cycle_after_a_low_one_is_not_counted() -> None:
    # a trapped-Li pair at cycles 27-28, then one isolated high cycle at 30: one excursion
    rng = np.random.default_rng(2)
    ce = _steady(rng, 40, 1e-3)
    ce[25] -= 0.012
    ce[26] += 0.016
    ce[28] += 0.01
    assert ce_excursions(_view(ce), PARAMS) == []


def test_one_event_with_its_evidence_and_thresholds() -> None:
    (e,) = ce_excursions(_view(_intermittent(0)), PARAMS)
    assert e.rule == "ce_excursions" and e.half_cycle == "stripping"
    assert e.cycle == 27 and e.values["detected_at_cycle"] == 29
    assert e.values["excursions"] == 2
    assert e.values["z_threshold"] == 5.0 and e.values["window_cycles"] == 4
    assert 0.98 < e.values["baseline_ce"] < 0.99
    assert 5e-4 <= e.values["scatter"] < 2e-3
    assert e.values["coulombic_efficiency"] > e.values["baseline_ce"] + 5 * e.values["scatter"]
