"""The per-half-cycle values computed for all half-cycles at once are, to the last bit, those
computed on each half-cycle's own rows (analysis.cycling.groups): the cycling JSON must not
depend on whether a value was computed alone (an incremental analysis) or with the others.

Each test compares with the one-half-cycle-at-a-time definition written out here, on random
half-cycles (short and long, with glitches, gaps in the constant-current rows, repeated and
zero values), with ``==`` on the bits, not a tolerance."""

from __future__ import annotations

import dataclasses
import struct
import warnings

import numpy as np
import pytest

from analysis.cycling.ce_cusum import _nanmedian_rows
from analysis.cycling.groups import (
    group_counts,
    group_sums,
    median_of_few,
    nanmedian_of_few,
    range_rows,
    sorted_union,
    sorted_unique,
    unique_pairs,
)
from analysis.cycling.halfcycles import _active_pieces, _extremes, _group_median
from analysis.cycling.numbering import CycleNumbering
from analysis.cycling.plateaus import NOISE_WINDOW_ROWS, _MaskedSums, _noises
from analysis.cycling.segmentation import Segmentation
from analysis.cycling.shorts import _time_after_cutoff
from analysis.cycling.stripping_tail import _tails


def _bits(values: np.ndarray) -> list[bytes]:
    return [struct.pack("<d", float(x)) for x in np.asarray(values, dtype=np.float64)]


def test_group_sums_are_each_groups_own_sum_bit_for_bit() -> None:
    rng = np.random.default_rng(1)
    for trial in range(200):
        k = int(rng.integers(1, 25))
        sizes = rng.integers(0, 900 if trial % 10 else 300_000, k)
        groups = [rng.standard_normal(m) ** 2 * 10.0 ** int(rng.integers(-12, 3)) for m in sizes]
        got = group_sums(np.concatenate(groups), sizes.astype(np.int64))
        assert _bits(got) == _bits(np.array([g.sum() for g in groups]))


def test_plain_reduceat_is_not_the_groups_own_sum() -> None:
    """Why :func:`group_sums` leads each group with a 0.0: without it the sums differ."""
    rng = np.random.default_rng(2)
    groups = [rng.standard_normal(500) for _ in range(50)]
    heads = np.cumsum([0] + [g.size for g in groups[:-1]])
    plain = np.add.reduceat(np.concatenate(groups), heads)
    assert _bits(plain) != _bits(np.array([g.sum() for g in groups]))


def test_group_counts_and_range_rows() -> None:
    mask = np.array([1, 0, 1, 1, 0, 0, 1], dtype=bool)
    assert group_counts(mask, np.array([2, 0, 3, 2])).tolist() == [1, 0, 2, 1]
    assert range_rows(np.array([5, 9, 2]), np.array([7, 9, 4])).tolist() == [5, 6, 2, 3]


def test_median_of_few_is_numpys_median() -> None:
    rng = np.random.default_rng(3)
    pool = [0.0, -0.0, 1.0, -1.0, 0.5, np.inf, -np.inf, np.nan, 1e-300, 0.1, 0.2, 0.3]
    for trial in range(20_000):
        m = int(rng.integers(1, 4))
        if trial % 2:
            values = [float(pool[j]) for j in rng.integers(0, len(pool), m)]
        else:
            values = rng.normal(0, 1, m).round(int(rng.integers(0, 3))).tolist()
        with np.errstate(invalid="ignore"):
            expected = np.median(values)
        assert _bits(np.array([median_of_few(values)])) == _bits(np.array([expected]))


def _half_cycles(rng: np.random.Generator) -> tuple[Segmentation, np.ndarray, np.ndarray]:
    """Random contiguous half-cycles (1 to 2,500 rows, a quarter of them under 40), after a
    few rest rows, alternating in sign; a voltage with drift, noise, glitches and (sometimes)
    values rounded to 0.1 mV; constant-current rows with gaps."""
    k = int(rng.integers(1, 30))
    sizes = rng.integers(1, 2500, k)
    small = rng.random(k) < 0.25
    sizes[small] = rng.integers(1, 40, int(small.sum()))
    lead = int(rng.integers(0, 20))
    n = lead + int(sizes.sum())
    voltage = np.cumsum(rng.normal(0, 1e-4, n)) + rng.normal(0, 10.0 ** rng.integers(-6, -2), n)
    glitch = rng.random(n) < 0.01
    voltage[glitch] += rng.normal(0, 0.05, int(glitch.sum()))
    if rng.random() < 0.3:
        voltage = np.round(voltage, 4)
    cc = rng.random(n) < rng.choice([0.6, 0.97, 1.0])
    starts = (lead + np.concatenate(([0], np.cumsum(sizes)[:-1]))).astype(np.int64)
    direction = np.where(np.arange(k) % 2, 1, -1).astype(np.int64)
    current = np.zeros(n)
    for a, b, d in zip(starts, starts + sizes, direction, strict=True):
        current[a:b] = d * 1e-3
    current[rng.random(n) < 0.1] = 0.0  # rests inside the half-cycles
    active = current != 0
    weight = np.full(n, 10.0) * rng.uniform(0.5, 1.5, n)
    seg = Segmentation(
        rest_threshold_A=1e-6,
        weight_s=weight,
        charge_As=current * weight,
        active_weight_s=weight * active,
        active=active,
        starts=starts,
        stops=(starts + sizes).astype(np.int64),
        direction=direction,
        cycle=np.cumsum(direction < 0).astype(np.int64),
        is_first=direction < 0,
        interruptions_merged=0,
        gaps_skipped=0,
        backward_steps=0,
        pulses=np.zeros(k, dtype=np.int64),
        block=np.zeros(k, dtype=bool),
    )
    return seg, voltage, cc


def _noise_of(v: np.ndarray, cc: np.ndarray) -> float:
    """The noise of one half-cycle's rows, as the module docstring defines it."""
    n = v.size
    if n < 12:
        return float("nan")
    if n > 3 * NOISE_WINDOW_ROWS:
        parts = []
        for centre in (n // 4, n // 2, 3 * n // 4):
            lo = centre - NOISE_WINDOW_ROWS // 2
            w, c = v[lo : lo + NOISE_WINDOW_ROWS], cc[lo : lo + NOISE_WINDOW_ROWS]
            ok = c[2:] & c[1:-1] & c[:-2]
            parts.append((w[2:] - 2.0 * w[1:-1] + w[:-2])[ok])
        d2 = np.concatenate(parts)
    else:
        ok = cc[2:] & cc[1:-1] & cc[:-2]
        d2 = (v[2:] - 2.0 * v[1:-1] + v[:-2])[ok]
    if d2.size < 10:
        return float("nan")
    sq = d2 * d2
    rms = float(np.sqrt(sq.sum() / sq.size))
    for _ in range(2):
        kept = sq[sq <= 16.0 * rms * rms]
        if not kept.size:
            break
        rms = float(np.sqrt(kept.sum() / kept.size))
    return rms / float(np.sqrt(6.0))


@pytest.mark.parametrize("seed", range(40))
def test_noise_of_all_half_cycles_is_each_ones_own(seed: int) -> None:
    rng = np.random.default_rng(seed)
    seg, voltage, cc = _half_cycles(rng)
    which = np.arange(seg.starts.size)
    if seed % 3 == 1:  # some of them (an incremental analysis)
        which = np.flatnonzero(rng.random(seg.starts.size) < 0.5)
    one_by_one = [
        _noise_of(voltage[a:b], cc[a:b])
        for a, b in zip(seg.starts[which], seg.stops[which], strict=True)
    ]
    assert _bits(_noises(voltage, cc, seg, which)) == _bits(np.array(one_by_one))


def _tail_of(
    seg: Segmentation,
    v_all: np.ndarray,
    t_all: np.ndarray,
    plateau: float,
    cutoff: float | None,
    i: int,
) -> float:
    """The stripping tail of half-cycle ``i`` (analysis.cycling.stripping_tail), on its rows."""
    a, b = int(seg.starts[i]), int(seg.stops[i])
    rows = a + np.flatnonzero(seg.active[a:b])
    if rows.size < 3:
        return float("nan")
    v = v_all[rows]
    top = cutoff if cutoff is not None else float(np.max(v))
    mid = 0.5 * (plateau + top)
    below = np.flatnonzero(v < mid)
    if not below.size or below[-1] == rows.size - 1 or not mid > plateau:
        return float("nan")
    k = int(below[-1])
    w = seg.weight_s[rows[k:]]
    with np.errstate(invalid="ignore", divide="ignore"):
        i_A = np.where(w > 0, np.abs(seg.charge_As[rows[k:]]) / w, 0.0)
    frac = (mid - v[k]) / (v[k + 1] - v[k])
    dt = np.diff(t_all[rows[k:]])
    dt[0] *= 1.0 - frac
    return float(np.sum(0.5 * (i_A[1:] + i_A[:-1]) * np.maximum(dt, 0.0)) / 3.6)


@pytest.mark.parametrize("seed", range(40))
def test_stripping_tails_of_all_half_cycles_are_each_ones_own(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    seg, voltage, _ = _half_cycles(rng)
    for a, b in zip(seg.starts, seg.stops, strict=True):  # a plateau, then a rise (de-alloying)
        voltage[a:b] += 0.01 + np.linspace(0.0, 1.0, b - a) ** rng.uniform(1.0, 12.0)
    time_s = np.cumsum(rng.uniform(0.0, 20.0, voltage.size))
    time_s[rng.random(voltage.size) < 0.01] -= 30.0  # backward steps count as zero
    plateau = rng.uniform(-0.01, 0.05, seg.starts.size)
    which = np.flatnonzero(seg.direction > 0)
    for cutoff in (None, float(np.quantile(voltage, 0.9))):
        one_by_one = [_tail_of(seg, voltage, time_s, plateau[i], cutoff, i) for i in which.tolist()]
        got = _tails(seg, voltage, time_s, plateau, cutoff, which)
        assert _bits(got) == _bits(np.array(one_by_one))


@pytest.mark.parametrize("seed", range(20))
def test_time_after_cutoff_of_all_half_cycles_is_each_ones_own(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    seg, voltage, _ = _half_cycles(rng)
    level = float(np.quantile(voltage, rng.uniform(0.5, 0.999)))
    expected = np.zeros(seg.starts.size)
    for i in np.flatnonzero(seg.direction > 0).tolist():
        a, b = int(seg.starts[i]), int(seg.stops[i])
        hits = np.flatnonzero(voltage[a:b] >= level)
        expected[i] = float(np.sum(seg.active_weight_s[a + hits[-1] + 1 : b])) if hits.size else 0.0
    assert _bits(_time_after_cutoff(seg, voltage, level)) == _bits(expected)


def test_cycle_labels_of_many_cycles_are_each_ones_label() -> None:
    ordinal = np.array([0, 1, 2, 3, 5, 6], dtype=np.int64)
    numbers = np.array([3, 4, 6, 7, 9, 12], dtype=np.int64)
    numbering = CycleNumbering("vendor", "consistent", "", ordinal, numbers - 1, numbers)
    asked = np.array([-1, 0, 1, 2, 3, 4, 5, 6, 7, 9, -3], dtype=np.int64)
    assert numbering.labels(asked).tolist() == [numbering.label(int(k)) for k in asked]


def test_nanmedian_of_rows_is_numpys_nanmedian() -> None:
    rng = np.random.default_rng(4)
    for trial in range(300):
        x = rng.normal(0, 1e-3, (int(rng.integers(1, 60)), int(rng.integers(1, 50))))
        x = x.round(int(rng.integers(3, 8)))
        for value, share in ((np.nan, 0.1 * (trial % 3 == 0)), (-0.0, 0.2), (0.0, 0.2)):
            x[rng.random(x.shape) < share * (trial % 2)] = value
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: NaN, with a warning
            expected, got = np.nanmedian(x, axis=1), _nanmedian_rows(x)
        assert _bits(got) == _bits(expected)


def _partition_median(group: np.ndarray) -> float:
    """The median of one group as the half-cycle level defines it: the middle value of
    ``np.partition``, or the mean of the two middle ones (NaN for an empty group)."""
    m = group.size
    if not m:
        return float("nan")
    k = m // 2
    if m % 2:
        return float(np.partition(group, k)[k])
    part = np.partition(group, (k - 1, k))
    return float((part[k] + part[k - 1]) / 2)


def test_group_median_is_each_groups_own_bit_for_bit() -> None:
    """Groups of one value repeated (taken without a partition), of a few values, of noisy
    values, with zeros, NaN and empty groups, odd and even sizes: each is its group's own
    median, and ``np.median``'s where the group has no NaN (magnitudes: no -0.0)."""
    rng = np.random.default_rng(5)
    pool = np.array([0.0, 1e-3, 1e-3 + 2e-19, 2e-3, 5e-4, 1e300, np.nextafter(1e-3, 1.0)])
    for trial in range(400):
        groups = []
        for _ in range(int(rng.integers(1, 30))):
            m = int(rng.integers(0, 12 if trial % 4 else 900))
            kind = rng.integers(0, 4)
            if kind == 0:  # one value repeated (0.0 among them)
                g = np.full(m, pool[rng.integers(0, pool.size)])
            elif kind == 1:  # a few values
                g = pool[rng.integers(0, pool.size, m)]
            else:
                g = np.abs(rng.normal(1e-3, 1e-6 * rng.integers(0, 3), m))
            if m and rng.random() < 0.1:
                g[rng.integers(0, m)] = np.nan
            groups.append(g)
        counts = np.array([g.size for g in groups], dtype=np.int64)
        got = _group_median(np.concatenate(groups), counts, by_pandas=False)
        assert _bits(got) == _bits(np.array([_partition_median(g) for g in groups]))
        plain = [i for i, g in enumerate(groups) if g.size and not np.isnan(g).any()]
        assert _bits(got[plain]) == _bits(np.array([np.median(groups[i]) for i in plain]))


def test_masked_rows_before_rows_are_running_counts() -> None:
    rng = np.random.default_rng(6)
    for _ in range(200):
        n = int(rng.integers(0, 400))
        mask = rng.random(n) < rng.random()
        rows = rng.integers(0, n + 1, (3, int(rng.integers(0, 20))))
        running = np.concatenate(([0], np.cumsum(mask)))
        sums = _MaskedSums(rng.normal(size=n), mask, 0.0, False, np.empty(n + 1))
        assert sums.before(rows).tolist() == running[rows].tolist()


def _prefix_sums(values: np.ndarray, mask: np.ndarray, base: float, continued: bool) -> np.ndarray:
    """The running sum the plateau overpotentials are differences of: a prefix sum over every
    row (0.0 on the rows not masked) from ``base`` (continued) or from the first row's value."""
    out = np.zeros(values.size + 1)
    np.copyto(out[1:], values, where=mask)
    if continued:
        out[0] = base
        np.cumsum(out, out=out)
    else:
        np.cumsum(out[1:], out=out[1:])
    return out


def test_masked_running_sums_are_the_prefix_sums_bit_for_bit() -> None:
    """The sums over the masked rows alone equal the prefix sum over every row at every row,
    signed zeros included (a first masked value or a base of -0.0 keeps the prefix sum)."""
    rng = np.random.default_rng(8)
    pool = np.array([0.0, -0.0, 0.5, -0.5, 0.25, -0.25, 1e-3, -1e-3])
    for trial in range(3000):
        n = int(rng.integers(1, 60))
        values = pool[rng.integers(0, pool.size, n)]
        if trial % 3 == 0:
            values = rng.normal(0.0, 0.1, n).round(int(rng.integers(1, 4)))
        mask = rng.random(n) < rng.choice([0.2, 0.5, 0.9, 1.0])
        continued = bool(trial % 2)
        base = float(rng.choice([0.0, -0.0, 0.5, -0.25])) if continued else 0.0
        expected = _prefix_sums(values, mask, base, continued)
        rows = np.arange(n + 1)
        sums = _MaskedSums(values, mask, base, continued, np.empty(n + 1))
        assert _bits(sums.at(rows, sums.before(rows))) == _bits(expected)


def test_nanmedian_of_few_is_numpys_nanmedian() -> None:
    """Up to a dozen numbers with NaN (not all), signed zeros, infinities and numbers near the
    largest double (numpy's masked median overflows there: numpy's own is used)."""
    rng = np.random.default_rng(11)
    pool = [0.0, -0.0, 1.0, -1.0, 0.5, np.inf, -np.inf, np.nan, 1e-300, 0.1, 0.3, 1e307, 1.5e308]
    for trial in range(20_000):
        m = int(rng.integers(1, 12))
        if trial % 2:
            values = [float(pool[j]) for j in rng.integers(0, len(pool), m)]
        else:
            values = rng.normal(0, 1e-3, m).round(int(rng.integers(3, 7))).tolist()
        if all(x != x for x in values):
            continue
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanmedian(np.array(values))
            got = nanmedian_of_few(values)
        assert _bits(np.array([got])) == _bits(np.array([expected])), values


@pytest.mark.parametrize("seed", range(30))
def test_active_extremes_are_each_half_cycles_own(seed: int) -> None:
    """The highest and lowest voltage over each half-cycle's current-carrying rows (NaN where
    it has none), found over runs of such rows, are those of its own rows."""
    rng = np.random.default_rng(300 + seed)
    seg, voltage, _ = _half_cycles(rng)
    if seed % 3 == 0:  # current-carrying rows before the first half-cycle, and whole rests
        active = seg.active.copy()
        active[: seg.starts[0]] = True
        active[seg.starts[-1] :] = seed % 2 == 0
        seg = dataclasses.replace(seg, active=active)
    high, low = _extremes(voltage, _active_pieces(seg), seg.starts.size)
    for i, (a, b) in enumerate(zip(seg.starts, seg.stops, strict=True)):
        rows = voltage[a:b][seg.active[a:b]]
        expected = (rows.max(), rows.min()) if rows.size else (np.nan, np.nan)
        assert _bits(np.array([high[i], low[i]])) == _bits(np.array(expected))


def test_sorted_unique_and_union_are_numpys() -> None:
    rng = np.random.default_rng(14)
    for _ in range(500):
        a = rng.integers(-5, int(rng.integers(1, 3000)), int(rng.integers(0, 300)))
        b = np.unique(rng.integers(0, 3000, int(rng.integers(0, 300))))
        assert sorted_unique(a).tolist() == np.unique(a).tolist()
        assert sorted_union(np.unique(a), b).tolist() == np.union1d(a, b).tolist()
        assert sorted_unique(a).dtype == np.unique(a).dtype


def test_unique_pairs_are_numpys() -> None:
    rng = np.random.default_rng(15)
    for _ in range(500):
        n = int(rng.integers(1, 300))
        first = rng.integers(-3, int(rng.integers(1, 40)), n)
        second = rng.integers(-2, int(rng.integers(1, 6)), n)
        pairs, inverse = unique_pairs(first, second)
        expected, where = np.unique(np.stack([first, second]), axis=1, return_inverse=True)
        assert pairs.tolist() == expected.tolist()
        assert inverse.tolist() == where.ravel().tolist()
