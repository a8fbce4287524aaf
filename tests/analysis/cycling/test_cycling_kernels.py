"""The fast per-half-cycle reductions agree with their row-by-row definitions.

The analysis avoids per-row temporaries (counters summed from their values at range ends and
restarts, overpotential rows as a prefix found by binary search, noise from reduceat); these
tests build the same quantities the slow, obvious way on random data and compare.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.cycling import halfcycles
from analysis.cycling.halfcycles import _range_reduce, counter_restarts, counter_sums
from analysis.cycling.parameters import CyclingParameters, resolve
from analysis.cycling.quantiles import high_percentile, row_percentiles
from analysis.cycling.rest_drops import _rest_drop, _rest_drops_in_order
from analysis.cycling.segmentation import row_weights, segment
from analysis.simulate.cells import CellSpec, Realism, generate_cell


def _naive_increments(values: np.ndarray, step_start: np.ndarray) -> np.ndarray:
    """Row by row: the change since the previous row, or the value itself where the counter
    restarts (a step start, unless the counter runs over the whole test, or a fall)."""
    n = len(values)
    boundary = [i for i in step_start if 0 < i < n]
    carried = [i for i in boundary if values[i - 1] > 0]
    over_test = len(carried) >= 2 and all(values[i] >= values[i - 1] for i in carried)
    restart = set() if over_test else set(boundary)
    out = np.empty(n)
    for i in range(n):
        if i == 0:
            out[i] = values[0]
        elif i in restart or values[i] < values[i - 1]:
            out[i] = values[i]
        else:
            out[i] = values[i] - values[i - 1]
    return out


@st.composite
def counter_tables(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A counter cumulative within steps (some steps carried over, some resets), and a
    current that changes sign so that the segmentation finds several half-cycles."""
    n_steps = draw(st.integers(1, 8))
    lengths = draw(st.lists(st.integers(1, 30), min_size=n_steps, max_size=n_steps))
    values, current = [], []
    level = 0.0
    for k, m in enumerate(lengths):
        carry = draw(st.booleans())
        level = level if carry else 0.0
        increments = draw(st.lists(st.floats(0.0, 2.0, allow_nan=False), min_size=m, max_size=m))
        sign = draw(st.sampled_from([-1.0, 0.0, 1.0])) if k else -1.0
        for inc in increments:
            level += inc
            values.append(level)
            current.append(sign * (1.0 + inc))
    step_start = np.cumsum([0, *lengths[:-1]])[1:].astype(np.int64)
    return np.array(values), step_start, np.array(current)


@settings(max_examples=200, deadline=None)
@given(counter_tables())
def test_counter_sums_equal_the_summed_row_increments(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    values, step_start, current = data
    n = len(values)
    time_s = np.arange(n, dtype=np.float64)
    params = CyclingParameters(rest_current_threshold_A=0.5, max_interruption_s=0.0)
    seg = segment(time_s, current, "half", params)
    if not seg.starts.size:
        return
    expected = np.add.reduceat(_naive_increments(values, step_start), seg.starts)
    found = counter_sums(values, step_start, seg)
    np.testing.assert_allclose(found, expected, rtol=1e-9, atol=1e-9)
    restarts = counter_restarts(values, step_start)
    assert np.all(np.diff(restarts) > 0)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=60),
    st.data(),
)
def test_range_reduce_matches_slices(values: list[float], data: st.DataObject) -> None:
    arr = np.array(values)
    n = len(arr)
    cuts = sorted(data.draw(st.lists(st.integers(0, n), min_size=2, max_size=12)))
    lo = np.array(cuts[0::2][: len(cuts) // 2], dtype=np.int64)
    hi = np.array(cuts[1::2][: len(cuts) // 2], dtype=np.int64)
    if not lo.size or lo[-1] >= n:
        return
    sums = _range_reduce(np.add, arr, lo, hi, 0.0)
    peaks = _range_reduce(np.maximum, arr, lo, hi, -np.inf)
    for i, (a, b) in enumerate(zip(lo, hi, strict=True)):
        part = arr[a:b]
        assert np.isclose(sums[i], part.sum() if part.size else 0.0, rtol=1e-12, atol=1e-12)
        assert peaks[i] == (part.max() if part.size else -np.inf)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.1, 100.0), st.floats(-2.0, 2.0, allow_nan=False), st.booleans()),
        min_size=2,
        max_size=40,
    )
)
def test_interrupted_intervals_are_left_out_of_the_trapezoids(
    rows: list[tuple[float, float, bool]],
) -> None:
    """The charge is the trapezoidal sum over the intervals not marked as spent on another
    technique (``interrupted_before`` on the row that ends them), row by row."""
    dt = np.array([r[0] for r in rows])
    time_s = np.cumsum(dt) - dt[0]
    current = np.array([r[1] for r in rows])
    marked = np.array([r[2] for r in rows])
    marked[0] = False
    seg = segment(time_s, current, "half", CyclingParameters(), marked)
    expected = sum(
        0.5 * (current[i - 1] + current[i]) * (time_s[i] - time_s[i - 1])
        for i in range(1, len(rows))
        if not marked[i]
    )
    assert np.isclose(float(np.sum(seg.charge_As)), expected, rtol=1e-9, atol=1e-9)
    assert seg.interrupted_intervals == int(marked.sum())
    assert np.isclose(seg.interrupted_s, float(np.sum(np.diff(time_s)[marked[1:]])))


def test_high_percentile_is_numpys_percentile_bit_for_bit() -> None:
    """The rest threshold's percentile, from the values above a sampled bound, is numpy's to
    the last bit: noisy magnitudes, a current logged as its set point (the percentile inside a
    block of equal values), a few levels, heavy tails, infinities, zeros, sizes from 1."""
    rng = np.random.default_rng(9)
    for trial in range(3000):
        n = int(rng.integers(1, 2000 if trial % 20 else 60_000))
        kind = trial % 5
        if kind == 0:
            values = np.abs(rng.normal(size=n))
        elif kind == 1:
            values = np.where(rng.random(n) < 0.9, 1e-3, 0.0)
        elif kind == 2:
            values = np.abs(rng.normal(1e-3, 1e-6, n)).round(int(rng.integers(3, 9)))
        elif kind == 3:
            levels = [0.0, 1e-3, 2e-3, 5e-4, np.inf]
            values = rng.choice(levels, n, p=[0.1, 0.6, 0.2, 0.09, 0.01])
        else:
            values = np.abs(rng.standard_cauchy(n))
        q = float(rng.choice([99.0, 99.0, 99.9, 95.0, 100.0, 50.0]))
        with np.errstate(invalid="ignore"):
            expected = np.float64(np.percentile(values, q)).tobytes()
            got = np.float64(high_percentile(values.copy(), q)).tobytes()
        assert got == expected, (trial, n, kind, q)


def test_row_percentiles_are_numpys_bit_for_bit() -> None:
    """The CE scatter's quartiles of each row, from one sort of the rows, are numpy's
    ``nanpercentile(..., axis=1)`` (``percentile`` on rows without NaN) to the last bit: noisy,
    rounded (ties) and heavy-tailed rows, rows with NaN (of any count, all NaN too) and
    infinities, zeros of both signs (left to numpy), every rank from the first to the last."""
    rng = np.random.default_rng(10)
    for trial in range(2000):
        shape = (int(rng.integers(1, 40)), int(rng.integers(1, 30)))
        kind = trial % 4
        if kind == 0:
            values = rng.normal(0.0, 1e-3, shape)
        elif kind == 1:
            values = rng.normal(0.0, 1e-3, shape).round(4)
        elif kind == 2:
            values = rng.choice([0.0, -0.0, 1e-3, -1e-3, 2e-4, np.inf], shape)
        else:
            values = rng.standard_cauchy(shape)
        if trial % 2:
            values[rng.random(shape) < rng.choice([0.1, 0.5, 1.0])] = np.nan
        q = [25.0, 75.0] if trial % 3 else [0.0, 50.0, 90.0, 100.0]
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanpercentile(values, q, axis=1)
            got = row_percentiles(values, q)
            plain = np.percentile(values, q, axis=1)
        assert got.tobytes() == expected.tobytes()
        if not trial % 2:
            assert got.tobytes() == plain.tobytes()


def _weights_by_halves(time_s: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Each row's trapezoidal weight as (0 + dt[i] / 2) + dt[i - 1] / 2, the steps that go back,
    exceed the gap or are not finite counted as zero."""
    dt = np.diff(time_s)
    dt = np.where((dt < 0) | (dt > max_gap_s) | ~np.isfinite(dt), 0.0, dt) * 0.5
    weight = np.zeros(time_s.size)
    weight[:-1] += dt
    weight[1:] += dt
    return weight


def test_row_weights_are_the_sums_of_half_steps_bit_for_bit() -> None:
    """Regular clocks (one sum of two steps halved), repeated times, steps back, gaps, steps
    near the smallest and largest doubles: each weight is the sum of the two half steps."""
    tiny = np.array([0.0, 5e-324, 1e-323, 1.5e-323])  # steps of one subnormal: halves round
    assert row_weights(tiny, 1.0)[0].tobytes() == _weights_by_halves(tiny, 1.0).tobytes()
    rng = np.random.default_rng(12)
    for trial in range(600):
        n = int(rng.integers(2, 400))
        scale = 10.0 ** float(rng.choice([0, 0, -300, 300, -307, -308]))
        steps = rng.uniform(0.5, 60.0, n - 1) * scale
        if trial % 5 == 1:
            steps[rng.random(n - 1) < 0.1] = 0.0  # repeated times
        if trial % 5 == 2:
            steps[rng.integers(0, n - 1)] *= -1.0  # a step back
        if trial % 5 == 3:
            steps[rng.integers(0, n - 1)] = 1e6  # a pause
        time_s = np.concatenate(([rng.uniform(0.0, 1e4) * scale], steps)).cumsum()
        max_gap_s = 3600.0 * 10.0 ** float(rng.choice([0, 300]))
        weight, _, _ = row_weights(time_s, max_gap_s)
        with np.errstate(invalid="ignore", over="ignore"):
            expected = _weights_by_halves(time_s, max_gap_s)
        assert weight.tobytes() == expected.tobytes()


@pytest.mark.parametrize(
    ("spec", "seed"),
    [
        (CellSpec("half", 6), 1),
        (CellSpec("half", 7), 2),
        (CellSpec("half", 8, short_kind="hard", short_onset=4), 3),
        (CellSpec("half", 6, realism=Realism(glitches=3, rest_s=600.0)), 4),
    ],
)
def test_set_point_currents_give_the_levels_and_rows_of_the_median(
    spec: CellSpec, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A current logged as its set point (the simulator's half cells): the levels and
    constant-current rows taken from it are those of the per-half-cycle medians and the
    tolerance test."""
    table = generate_cell(spec, seed=seed).table
    params = resolve(CyclingParameters(), spec.cell_type)
    time_s, current, voltage = (
        table[c].to_numpy(dtype=np.float64)
        for c in ("test_time_second", "current_ampere", "voltage_volt")
    )
    seg = segment(time_s, current, spec.cell_type, params, None, None, voltage)
    assert halfcycles._set_point_currents(current, seg, halfcycles._active_pieces(seg)) is not None
    fast = halfcycles.compute_half_cycles(table, time_s, voltage, current, seg, params, [], None)
    monkeypatch.setattr(halfcycles, "_set_point_currents", lambda *_: None)
    slow = halfcycles.compute_half_cycles(table, time_s, voltage, current, seg, params, [], None)
    assert fast.current_A.tobytes() == slow.current_A.tobytes()
    assert fast.cc_rows.tobytes() == slow.cc_rows.tobytes()


def test_rest_drops_at_once_are_each_rests_own() -> None:
    """The voltage drops of many rests at once (time never going back) are those of each rest
    alone (np.searchsorted, np.interp and the median of three): repeated times, rounded
    voltages, probe times inside, at and past the rests' ends."""
    rng = np.random.default_rng(13)
    for trial in range(1500):
        n = int(rng.integers(20, 400))
        steps = rng.choice([0.0, 1.0, 10.0, 0.1, 30.0], n - 1, p=[0.1, 0.3, 0.3, 0.2, 0.1])
        steps = steps * rng.uniform(0.5, 2.0, n - 1)
        if trial % 3 == 0:
            steps = np.round(steps, 1)
        time_s = np.concatenate(([rng.uniform(0, 1e6)], steps)).cumsum()
        voltage = rng.normal(3.9, 0.01, n).round(int(rng.integers(2, 6)))
        cuts = np.sort(rng.choice(np.arange(1, n - 3), int(rng.integers(1, 8)), replace=False))
        a, b = cuts, np.append(cuts[1:], n)
        a, b = a[b - a >= 3], b[b - a >= 3]
        probe = float(rng.choice([5.0, 60.0, 1e9, float(rng.uniform(0, 100))]))
        got = _rest_drops_in_order(voltage, time_s, a, b, probe)
        pairs = zip(a.tolist(), b.tolist(), strict=True)
        one_by_one = [_rest_drop(voltage, time_s, x, y, probe) for x, y in pairs]
        assert got.tobytes() == np.array(one_by_one, dtype=np.float64).tobytes()
