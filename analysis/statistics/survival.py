"""Survival of cells to a short circuit: Kaplan-Meier curves with censoring, log-rank tests.

A cell contributes a duration in cycles and whether the event was seen: a shorted cell its
short-circuit cycle (event), a cell still running or stopped healthy the number of cycles it
ran (right-censored: it survived at least that long). The **Kaplan-Meier estimator**
S(t) = prod over event times t_i <= t of (1 - d_i / n_i), d_i shorts at t_i, n_i cells at risk
(duration >= t_i) (Kaplan and Meier 1958, J. Am. Stat. Assoc. 53, 457), with the Greenwood
variance and a log-log transformed 95 % band (Kalbfleisch and Prentice 2002, section 1.4).
The **log-rank test** (Mantel 1966; Peto and Peto 1972) compares two curves over all event
times: chi^2 = (O_a - E_a)^2 / V with one degree of freedom. Several groups are compared
pair by pair, p Holm-adjusted (:func:`analysis.statistics.compare.holm`).

Computed by scipy (``scipy.stats.ecdf`` on ``CensoredData`` is the Kaplan-Meier estimator,
``scipy.stats.logrank`` the test), so no survival library is added: lifelines would bring
autograd, formulaic and matplotlib into the web process for two functions scipy already has.
Checked against the textbook remission data of Freireich et al. 1963 (Kleinbaum and Klein,
Survival Analysis, 3rd ed., ch. 2: log-rank chi^2 = 16.79) in the tests.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

import numpy as np
from scipy import stats

from analysis.statistics.compare import holm


@dataclass(frozen=True)
class SurvivalCurve:
    """A Kaplan-Meier curve: at each distinct duration (cycles), the survival fraction after
    it, its 95 % band, the cells at risk just before it, shorts and censorings at it."""

    times: list[float]
    survival: list[float]
    ci_low: list[float | None]
    ci_high: list[float | None]
    at_risk: list[int]
    events: list[int]
    censored: list[int]
    n: int
    n_events: int
    #: the first duration where S(t) <= 0.5 (None: more than half never shorted)
    median: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _data(durations: Any, observed: Any) -> Any:
    t = np.asarray(durations, dtype=np.float64)
    e = np.asarray(observed, dtype=bool)
    return stats.CensoredData(uncensored=t[e], right=t[~e])


def kaplan_meier(durations: Sequence[float], observed: Sequence[bool]) -> SurvivalCurve:
    """The Kaplan-Meier curve of ``durations`` (cycles) with ``observed`` True for a short and
    False for a censored cell (module docstring)."""
    t = np.asarray(durations, dtype=np.float64)
    e = np.asarray(observed, dtype=bool)
    if t.size != e.size:
        raise ValueError(f"{t.size} durations but {e.size} event flags")
    times = np.unique(t)
    at_risk = [int(np.count_nonzero(t >= x)) for x in times]
    events = [int(np.count_nonzero((t == x) & e)) for x in times]
    censored = [int(np.count_nonzero((t == x) & ~e)) for x in times]
    if not np.any(e):
        survival = [1.0] * times.size
        low: list[float | None] = [None] * times.size
        high: list[float | None] = [None] * times.size
    else:
        result = stats.ecdf(_data(t, e))
        survival = [float(v) for v in result.sf.evaluate(times)]
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            # undefined where S = 1 or 0 (nothing is at risk of it): those stay None
            warnings.simplefilter("ignore", RuntimeWarning)
            band = result.sf.confidence_interval(0.95, method="log-log")
            lo, hi = band.low.evaluate(times), band.high.evaluate(times)
        low = [float(v) if math.isfinite(v) else None for v in lo]
        high = [float(v) if math.isfinite(v) else None for v in hi]
    below = [x for x, s in zip(times, survival, strict=True) if s <= 0.5]
    return SurvivalCurve(
        [float(x) for x in times],
        survival,
        low,
        high,
        at_risk,
        events,
        censored,
        int(t.size),
        int(np.count_nonzero(e)),
        float(below[0]) if below else None,
    )


@dataclass(frozen=True)
class LogRank:
    """The log-rank test of group a versus group b: chi^2 (1 degree of freedom), two-sided p,
    and p Holm-adjusted over the pairs compared."""

    group_a: str
    group_b: str
    chi_square: float | None
    p: float | None
    p_adjusted: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def logrank(
    a: tuple[Sequence[float], Sequence[bool]],
    b: tuple[Sequence[float], Sequence[bool]],
    names: tuple[str, str] = ("a", "b"),
) -> LogRank:
    """Log-rank test of two groups, each (durations, observed); None when neither group has
    a short (nothing to compare) or a group is empty."""
    if not len(a[0]) or not len(b[0]) or not (any(a[1]) or any(b[1])):
        return LogRank(names[0], names[1], None, None, None)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        # a zero variance (one cell at risk at every short) gives no statistic: None below
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.logrank(_data(*a), _data(*b))
    z = float(result.statistic)
    p = float(result.pvalue)
    if not math.isfinite(z):
        return LogRank(names[0], names[1], None, None, None)
    return LogRank(names[0], names[1], z * z, p, p)


def logrank_pairs(groups: Mapping[str, tuple[Sequence[float], Sequence[bool]]]) -> list[LogRank]:
    """The log-rank test of every pair of groups, p Holm-adjusted over the pairs."""
    tests = [logrank(groups[a], groups[b], (a, b)) for a, b in combinations(groups, 2)]
    adjusted = holm([t.p for t in tests])
    return [
        LogRank(t.group_a, t.group_b, t.chi_square, t.p, p)
        for t, p in zip(tests, adjusted, strict=True)
    ]
