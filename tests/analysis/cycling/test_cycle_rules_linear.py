"""The linear-time search for "the previous cycles at the same current" and the candidate-only
loop of ``soft_short_ce`` give what the quadratic definitions give (analysis.cycling.cycle_rules:
ce_rise and charge_overrun compare a cycle with the latest earlier cycles at its current).
Random rate protocols with returns to earlier rates, gaps in eligibility and 0 A cycles."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.cycling import CyclingParameters, lookback
from analysis.cycling.cycle_rules import CycleView, previous_at_same_current, soft_short_ce


def _by_scanning(
    current: np.ndarray, eligible: np.ndarray, k: int, tolerance: float
) -> list[list[int]]:
    """The definition: for each cycle, every earlier one compared (quadratic)."""
    return [
        np.flatnonzero(
            (np.abs(current[:j] - current[j]) <= tolerance * abs(current[j])) & eligible[:j]
        )[-k:].tolist()
        for j in range(current.size)
    ]


def _protocol(rng: np.random.Generator, n: int) -> np.ndarray:
    """Blocks of cycles at a few rates (returning to earlier ones), with a little scatter."""
    rates = rng.choice([0.0, 0.1, 0.2, 0.5, 1.0, 2.0], size=rng.integers(1, 6))
    blocks = rng.integers(1, 30, size=n)
    current = np.repeat(rng.choice(rates, size=blocks.size), blocks)[:n]
    return current * (1 + rng.normal(0, rng.choice([0.0, 0.01, 0.04]), size=n))


@pytest.mark.parametrize("seed", range(40))
def test_previous_at_same_current_equals_the_scan(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 400))
    current = _protocol(rng, n)
    eligible = rng.random(n) > rng.choice([0.0, 0.1, 0.5])
    tolerance = float(rng.choice([0.0, 0.05, 0.2]))
    for k in (1, 3, 6):
        index, found = previous_at_same_current(current, eligible, k, tolerance)
        expected = _by_scanning(current, eligible, k, tolerance)
        assert found.tolist() == [len(e) for e in expected], (seed, k)
        got = [row[row >= 0].tolist() for row in index]
        assert got == expected, (seed, k)
        # right-aligned: the padding is on the left
        assert all((row[: k - f] == -1).all() for row, f in zip(index, found, strict=True))


@pytest.mark.parametrize("seed", range(20))
def test_a_search_continued_from_a_kept_one_equals_the_scan(seed: int) -> None:
    """The searches of a growing file's versions, each continued from the one before where
    their inputs agree (a version's last cycles changed too: its currents and eligibility
    redone), and a file of another cell between them: each the definition's answer."""
    lookback._searches.clear()
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(50, 500))
    current = _protocol(rng, n)
    eligible = rng.random(n) > rng.choice([0.0, 0.1, 0.5])
    tolerance = float(rng.choice([0.0, 0.05, 0.2]))
    k = int(rng.choice([1, 3, 6, 30]))
    stops = [*np.sort(rng.integers(1, n, size=6)).tolist(), n]
    for stop in stops:
        cur, elig = current[:stop].copy(), eligible[:stop].copy()
        if stop < n:  # the last cycle still being written: another current, not eligible
            cur[-1] *= 1.3
            elig[-1] = False
        for inputs in ((cur, elig), (_protocol(rng, stop), elig)):
            index, found = previous_at_same_current(*inputs, k, tolerance)
            expected = _by_scanning(*inputs, k, tolerance)
            assert [row[row >= 0].tolist() for row in index] == expected, (seed, stop)
            assert found.tolist() == [len(e) for e in expected]
    assert len(lookback._searches) <= lookback.KEPT
    again, _ = previous_at_same_current(current, eligible, k, tolerance)  # all kept: shared
    assert not again.flags.writeable


def _soft_short_by_definition(cycles: CycleView, params: CyclingParameters) -> list[int]:
    """Onset cycles of soft_short_ce, every window visited (the rule before the candidate loop)."""
    number, ce = cycles.number[cycles.usable], cycles.ce[cycles.usable]
    q_in, q_out = cycles.first_mAh[cycles.usable], cycles.second_mAh[cycles.usable]
    m, high = params.ce_short_cycles, np.isfinite(ce) & (ce > 1.0 + params.ce_short_tolerance)
    onsets, previous_end = [], -1
    for j in range(number.size - m + 1):
        window = slice(j, j + m)
        if not np.all(high[window]) or np.any(np.diff(number[window]) != 1) or j <= previous_end:
            continue
        if not np.any((number[:j] >= 2) & np.isfinite(ce[:j]) & ~high[:j]):
            continue
        lo = j - 1 if j > 0 and number[j] - number[j - 1] == 1 else j
        if not float(np.sum(q_out[lo : j + m]) / np.sum(q_in[lo : j + m])) > 1.0:
            continue
        previous_end = j + m - 1
        while previous_end + 1 < number.size and high[previous_end + 1]:
            previous_end += 1
        onsets.append(int(number[j]))
    return onsets


@pytest.mark.parametrize("seed", range(30))
def test_soft_short_ce_finds_what_every_window_finds(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(0, 200))
    number = np.cumsum(rng.choice([1, 1, 1, 1, 2], size=n)).astype(np.int64)
    ce = np.where(rng.random(n) < rng.choice([0.05, 0.3, 0.6]), 1.03, 0.99)
    ce[rng.random(n) < 0.02] = np.nan
    q_in = rng.uniform(0.9, 1.1, size=n)
    q_out = q_in * np.nan_to_num(ce, nan=1.0)
    view = CycleView(
        number=number,
        usable=rng.random(n) > 0.05,
        ce=ce,
        first_mAh=q_in,
        second_mAh=q_out,
        current_mA=np.ones(n),
        excluded=np.zeros(0, dtype=np.int64),
    )
    for m in (1, 2, 3):
        params = CyclingParameters(ce_short_cycles=m)
        found = [e.cycle for e in soft_short_ce(view, params, "stripping")]
        assert found == _soft_short_by_definition(view, params), (seed, m)
