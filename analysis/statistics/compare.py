"""Differences between groups of cells, for the small n of a materials study.

Two tests are reported side by side, because with 3-6 cells per group neither normality nor
its absence can be checked:

- **Welch's t-test** (unequal variances; Welch 1947, Biometrika 34, 28): t = (mean_a - mean_b)
  / sqrt(s_a^2/n_a + s_b^2/n_b), Welch-Satterthwaite degrees of freedom, two-sided p
  (``scipy.stats.ttest_ind(equal_var=False)``). Effect size **Hedges' g**: Cohen's d with the
  pooled sd, s_p = sqrt(((n_a-1)s_a^2 + (n_b-1)s_b^2) / (n_a+n_b-2)), times the small-sample
  correction J = 1 - 3 / (4(n_a+n_b) - 9) (Hedges and Olkin 1985, Statistical Methods for
  Meta-Analysis, eq. 5.10; Lakens 2013, Front. Psychol. 4:863). Sign: positive when group a
  is higher. Needs two values in each group.
- **Mann-Whitney U** (Mann and Whitney 1947, Ann. Math. Stat. 18, 50): U of group a,
  two-sided p (``scipy.stats.mannwhitneyu``, exact for small samples without ties, else the
  normal approximation with tie and continuity correction). Effect size the **rank-biserial
  correlation** r = 2 U_a / (n_a n_b) - 1 (Kerby 2014, Compr. Psychol. 3:11.IT.3.1), in
  [-1, 1], positive when group a tends to be higher.

With more than two groups every pair is tested and the p-values of each test are adjusted
for multiple comparisons by **Holm's step-down method** (Holm 1979, Scand. J. Stat. 6, 65):
it controls the family-wise error rate like Bonferroni, under any dependence, and is never
less powerful. Values are unitless (p, g, r) or the metric's unit (differences).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from itertools import combinations
from typing import Any

import numpy as np
from scipy import stats

from analysis.statistics.descriptive import finite

CORRECTION = "holm"


@dataclass(frozen=True)
class Comparison:
    """Group a versus group b (see the module docstring); None where a test needs more
    values than the groups have. ``*_p_adjusted`` are Holm-adjusted over the family of pairs
    (equal to the raw p for a single pair)."""

    group_a: str
    group_b: str
    n_a: int
    n_b: int
    mean_difference: float | None
    welch_t: float | None
    welch_df: float | None
    welch_p: float | None
    hedges_g: float | None
    mann_whitney_u: float | None
    mann_whitney_p: float | None
    rank_biserial: float | None
    welch_p_adjusted: float | None = None
    mann_whitney_p_adjusted: float | None = None
    correction: str = CORRECTION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _num(x: Any) -> float | None:
    f = float(x)
    return f if math.isfinite(f) else None


def hedges_g(a: Any, b: Any) -> float | None:
    """Hedges' g of ``a`` versus ``b`` (module docstring); None below two values per group or
    when both groups have no spread."""
    xa, xb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    na, nb = xa.size, xb.size
    if na < 2 or nb < 2:
        return None
    pooled = math.sqrt(
        ((na - 1) * np.var(xa, ddof=1) + (nb - 1) * np.var(xb, ddof=1)) / (na + nb - 2)
    )
    if pooled == 0:
        return None
    d = (float(np.mean(xa)) - float(np.mean(xb))) / pooled
    return d * (1 - 3 / (4 * (na + nb) - 9))


def compare_two(
    a: Iterable[float | None], b: Iterable[float | None], names: tuple[str, str] = ("a", "b")
) -> Comparison:
    """Welch's t and Mann-Whitney U of the finite values of ``a`` versus ``b``."""
    xa, xb = finite(a), finite(b)
    na, nb = int(xa.size), int(xb.size)
    diff = float(np.mean(xa) - np.mean(xb)) if na and nb else None
    t = df = p_t = None
    if na >= 2 and nb >= 2 and (np.var(xa) > 0 or np.var(xb) > 0):
        welch = stats.ttest_ind(xa, xb, equal_var=False)
        t, p_t, df = _num(welch.statistic), _num(welch.pvalue), _num(welch.df)
    u = p_u = r = None
    if na and nb:
        mw = stats.mannwhitneyu(xa, xb, alternative="two-sided")
        u, p_u = _num(mw.statistic), _num(mw.pvalue)
        r = 2 * u / (na * nb) - 1 if u is not None else None
    return Comparison(
        names[0], names[1], na, nb, diff, t, df, p_t, hedges_g(xa, xb), u, p_u, r, p_t, p_u
    )


def holm(pvalues: Sequence[float | None]) -> list[float | None]:
    """Holm-adjusted p-values (same order; None stays None and is not counted in the family):
    sorted ascending p_(1) <= ... <= p_(m), adjusted p_(i) = max over j <= i of
    min(1, (m - j + 1) p_(j))."""
    index = [i for i, p in enumerate(pvalues) if p is not None]
    m = len(index)
    out: list[float | None] = [None] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(sorted(index, key=lambda i: pvalues[i])):  # type: ignore[arg-type,return-value]
        p = pvalues[i]
        assert p is not None
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out


def compare_groups(groups: Mapping[str, Iterable[float | None]]) -> list[Comparison]:
    """Every pair of groups (in the mapping's order), each test's p Holm-adjusted over the
    pairs."""
    values = {name: v if isinstance(v, np.ndarray) else list(v) for name, v in groups.items()}
    pairs = [compare_two(values[a], values[b], (a, b)) for a, b in combinations(values, 2)]
    welch = holm([c.welch_p for c in pairs])
    mw = holm([c.mann_whitney_p for c in pairs])
    return [
        replace(c, welch_p_adjusted=w, mann_whitney_p_adjusted=u)
        for c, w, u in zip(pairs, welch, mw, strict=True)
    ]
