"""Study statistics on per-cell numbers: plain functions on arrays (numpy/scipy), no Django.

Small API (definitions, units and references in each docstring and in docs/statistics.md):

- :func:`describe` -> :class:`Summary`: n, mean, sample sd, standard error, t-based 95 % CI.
- :func:`compare_two` -> :class:`Comparison`: Welch's t (with Hedges' g) and Mann-Whitney U
  (with the rank-biserial correlation) between two groups.
- :func:`compare_groups`: every pair of groups, p-values adjusted by Holm's step-down method.
- :func:`holm`: Holm-Bonferroni adjusted p-values.
- :func:`kaplan_meier` -> :class:`SurvivalCurve`: cycles-to-short survival with right censoring
  (scipy.stats.ecdf), Greenwood 95 % band, number at risk; :func:`logrank` between two groups
  (scipy.stats.logrank), :func:`logrank_pairs` for several (Holm-adjusted).
- :func:`outliers`: modified z-score (Iglewicz and Hoaglin) above 3.5 within a group.
- :func:`trend` -> :class:`Trend`: Theil-Sen slope and Kendall's tau of a channel's metric
  over time (:mod:`analysis.statistics.drift`).
- :mod:`analysis.statistics.uncertainty`: charge and CE error bounds from a cycler's stated
  current and time accuracy.
"""

from analysis.statistics.compare import Comparison, compare_groups, compare_two, holm
from analysis.statistics.descriptive import Summary, describe
from analysis.statistics.drift import Trend, trend
from analysis.statistics.outliers import MODIFIED_Z_LIMIT, Outlier, modified_z, outliers
from analysis.statistics.survival import (
    LogRank,
    SurvivalCurve,
    kaplan_meier,
    logrank,
    logrank_pairs,
)

__all__ = [
    "MODIFIED_Z_LIMIT",
    "Comparison",
    "LogRank",
    "Outlier",
    "Summary",
    "SurvivalCurve",
    "Trend",
    "compare_groups",
    "compare_two",
    "describe",
    "holm",
    "kaplan_meier",
    "logrank",
    "logrank_pairs",
    "modified_z",
    "outliers",
    "trend",
]
