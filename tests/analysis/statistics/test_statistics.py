"""Study statistics against scipy, textbook examples and worked cases (no database)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from analysis.statistics import (
    compare_groups,
    compare_two,
    describe,
    holm,
    kaplan_meier,
    logrank,
    logrank_pairs,
    modified_z,
    outliers,
)
from analysis.statistics.uncertainty import (
    Accuracy,
    average_ce_bound,
    ce_bound,
    charge_bound_mAh,
    cumulative_ce_bounds,
)

# average CE (fraction) of replicate half cells, as a study would have them
MGAGSN = [0.99621, 0.99608, 0.99634, 0.99615, 0.99627]
MG = [0.99412, 0.99455, 0.99390, 0.99431]


def test_describe_gives_the_t_based_95_percent_interval() -> None:
    s = describe([*MGAGSN, None, float("nan")])
    assert s.n == 5
    assert s.mean == pytest.approx(np.mean(MGAGSN))
    assert s.sd == pytest.approx(np.std(MGAGSN, ddof=1))
    low, high = stats.t.interval(0.95, 4, loc=np.mean(MGAGSN), scale=stats.sem(MGAGSN))
    assert (s.ci_low, s.ci_high) == (pytest.approx(low), pytest.approx(high))
    # by hand: t(0.975, 3) = 3.182446 for [1, 2, 3, 4]: 2.5 +- 3.182446 * 1.290994 / 2
    s4 = describe([1, 2, 3, 4])
    assert s4.ci_high == pytest.approx(2.5 + 3.182446 * 1.2909944 / 2, rel=1e-6)
    one = describe([0.99])
    assert (one.n, one.mean, one.sd, one.ci_low) == (1, 0.99, None, None)


def test_welch_and_mann_whitney_match_scipy_with_effect_sizes() -> None:
    c = compare_two(MGAGSN, MG, ("MgAgSn", "Mg"))
    welch = stats.ttest_ind(MGAGSN, MG, equal_var=False)
    assert c.welch_t == pytest.approx(welch.statistic)
    assert c.welch_p == pytest.approx(welch.pvalue)
    assert c.welch_df == pytest.approx(welch.df)
    mw = stats.mannwhitneyu(MGAGSN, MG, alternative="two-sided")
    assert c.mann_whitney_u == mw.statistic == 20  # every MgAgSn cell above every Mg cell
    assert c.mann_whitney_p == pytest.approx(mw.pvalue)
    assert c.mann_whitney_p == pytest.approx(2 / math.comb(9, 4))  # exact: 2 of 126 orders
    assert c.rank_biserial == 1.0
    na, nb = 5, 4
    sp = math.sqrt(
        ((na - 1) * np.var(MGAGSN, ddof=1) + (nb - 1) * np.var(MG, ddof=1)) / (na + nb - 2)
    )
    d = (np.mean(MGAGSN) - np.mean(MG)) / sp
    assert c.hedges_g == pytest.approx(d * (1 - 3 / (4 * 9 - 9)))
    assert c.hedges_g > 5  # a large difference, positive: the first group is higher
    reverse = compare_two(MG, MGAGSN)
    assert reverse.hedges_g == pytest.approx(-c.hedges_g)
    assert reverse.rank_biserial == -1.0


def test_too_few_values_give_no_test_rather_than_a_number() -> None:
    c = compare_two([0.99], [0.98, 0.97])
    assert c.welch_t is None and c.welch_p is None and c.hedges_g is None
    assert c.mann_whitney_u is not None  # U is defined for one value against two


def test_holm_adjustment_by_hand() -> None:
    # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04 -> monotone
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, None, 0.2]) == [pytest.approx(0.5), None, pytest.approx(0.4)]


def test_pairs_of_three_groups_are_holm_adjusted() -> None:
    pairs = compare_groups({"MgAgSn": MGAGSN, "Mg": MG, "Ag": [0.9951, 0.9949, 0.9955]})
    assert [(p.group_a, p.group_b) for p in pairs] == [
        ("MgAgSn", "Mg"),
        ("MgAgSn", "Ag"),
        ("Mg", "Ag"),
    ]
    raw = [p.welch_p for p in pairs]
    assert [p.welch_p_adjusted for p in pairs] == pytest.approx(holm(raw))
    assert all(p.welch_p_adjusted >= p.welch_p for p in pairs)  # type: ignore[operator]


# Freireich et al. (1963) remission times in weeks, 6-MP group (False = censored) and
# placebo; Kleinbaum and Klein, Survival Analysis: A Self-Learning Text, ch. 2.
SIX_MP = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
PLACEBO = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]


def test_kaplan_meier_reproduces_the_textbook_remission_curve() -> None:
    km = kaplan_meier(SIX_MP, [bool(e) for e in SIX_MP_EVENT])
    at = dict(zip(km.times, km.survival, strict=True))
    textbook = {6: 0.857, 7: 0.807, 10: 0.753, 13: 0.690, 16: 0.627, 22: 0.538, 23: 0.448}
    for week, s in textbook.items():
        assert at[week] == pytest.approx(s, abs=5e-4), week
    assert at[9] == at[7]  # a censoring does not step the curve
    assert km.median == 23  # the textbook's median remission of the 6-MP group
    assert km.at_risk[km.times.index(6)] == 21 and km.events[km.times.index(6)] == 3
    assert km.censored[km.times.index(6)] == 1
    assert km.n == 21 and km.n_events == 9
    for lo, s, hi in zip(km.ci_low, km.survival, km.ci_high, strict=True):
        assert lo is not None and hi is not None and lo <= s <= hi
    placebo = kaplan_meier(PLACEBO, [True] * 21)
    assert placebo.median == 8


def test_logrank_reproduces_the_textbook_chi_square() -> None:
    test = logrank(
        (SIX_MP, [bool(e) for e in SIX_MP_EVENT]), (PLACEBO, [True] * 21), ("6-MP", "placebo")
    )
    assert test.chi_square == pytest.approx(16.79, abs=0.005)
    assert test.p == pytest.approx(stats.chi2.sf(test.chi_square, 1))
    assert test.p < 1e-4


def test_cells_that_never_shorted_are_censored_not_dropped() -> None:
    km = kaplan_meier([120, 150, 150], [False, False, False])
    assert km.survival == [1.0, 1.0] and km.median is None and km.n_events == 0
    assert logrank(([120, 150], [False, False]), ([100], [False])).p is None
    groups = {
        "PVDF": ([40.0, 55.0, 61.0, 150.0], [True, True, True, False]),
        "Elastane": ([150.0, 150.0, 150.0, 132.0], [False, False, False, True]),
        "none": ([20.0, 25.0, 33.0], [True, True, True]),
    }
    pairs = logrank_pairs(groups)
    assert len(pairs) == 3
    assert [p.p_adjusted for p in pairs] == pytest.approx(holm([p.p for p in pairs]))


def test_the_modified_z_score_flags_one_bad_cell_with_its_reason() -> None:
    group = [*MGAGSN, 0.9890]
    flagged = outliers(group, unit="")
    assert [o.index for o in flagged] == [5]
    median = float(np.median(group))
    mad = float(np.median(np.abs(np.array(group) - median)))
    assert flagged[0].modified_z == pytest.approx(0.6745 * (0.9890 - median) / mad)
    assert "below the group median" in flagged[0].reason and "3.5" in flagged[0].reason
    assert outliers(MGAGSN) == []  # ordinary spread: nothing flagged
    assert modified_z([1.0, 2.0]) == [None, None]  # too few to say
    assert outliers([1.0, 1.0, 1.0, 5.0]) == []  # MAD = 0: no scale, no flag


def test_charge_bound_adds_gain_clock_and_offset() -> None:
    acc = Accuracy.from_specification(
        pct_of_reading=0.05, pct_of_range=0.02, range_mA=10.0, time_ppm=50.0
    )
    assert acc.offset_mA == pytest.approx(0.002) and acc.gain == pytest.approx(5e-4)
    # 1 mAh over 1 h: 1 * (5e-4 + 5e-5) + 0.002 * 1
    assert charge_bound_mAh([1.0], [1.0], acc)[0] == pytest.approx(0.00255)
    unknown = Accuracy.from_specification(
        pct_of_reading=0.05, pct_of_range=None, range_mA=None, time_ppm=None
    )
    assert np.isnan(charge_bound_mAh([1.0], [1.0], unknown)[0])


def test_ce_bound_is_the_offset_error_and_gain_cancels() -> None:
    acc = Accuracy(gain=0.001, offset_mA=0.001, clock=1e-4)
    q1, t1, q2, t2 = 0.785, 1.0, 0.780, 0.9935  # plating 1 h, stripping until cut-off
    ce = q2 / q1
    bound = float(ce_bound([ce], [q1], [t1], [q2], [t2], acc)[0])
    assert bound == pytest.approx(ce * 0.001 * (t1 / q1 + t2 / q2))
    # the reading model itself: gain and clock scale both half-cycles, the offset adds to
    # the signed current (adds to one direction, takes from the other)
    for g in (-0.001, 0.001):
        for o in (-0.001, 0.001):
            read_1 = q1 * (1 + g) * (1 + 1e-4) - o * t1
            read_2 = q2 * (1 + g) * (1 + 1e-4) + o * t2
            error = abs(read_2 / read_1 - ce)
            assert error <= bound * 1.01  # first order
            assert error >= bound * 0.99 or abs(o) == 0  # the bound is reached, not loose
    # a perfect offset leaves no CE error whatever the gain
    assert ce_bound([ce], [q1], [t1], [q2], [t2], Accuracy(0.01, 0.0, 0.01))[0] == 0.0


def test_average_and_cumulative_bounds_add_linearly() -> None:
    ce = np.array([0.95, 0.99, np.nan, 0.995])
    cumulative = np.array([0.95, 0.95 * 0.99, np.nan, 0.95 * 0.99 * 0.995])
    bounds = np.array([1e-3, 2e-3, np.nan, 3e-3])
    assert average_ce_bound(bounds) == pytest.approx(2e-3)
    cb = cumulative_ce_bounds(cumulative, ce, bounds)
    assert cb[1] == pytest.approx(cumulative[1] * (1e-3 / 0.95 + 2e-3 / 0.99))
    assert np.isnan(cb[2])
    assert cb[3] == pytest.approx(cumulative[3] * (1e-3 / 0.95 + 2e-3 / 0.99 + 3e-3 / 0.995))
    # against the exact worst case of the product
    upper = np.prod([c + b for c, b in ((0.95, 1e-3), (0.99, 2e-3), (0.995, 3e-3))])
    assert upper - cumulative[3] == pytest.approx(cb[3], rel=0.01)
