"""The statistics section of a study report.

:func:`report_statistics` is the one place the report takes its statistics from: the study
statistics of :func:`labdb.selectors.statistics.study_statistics` (docs/statistics.md), as the
comparison page's replicate table shows them (:func:`labdb.web.compare_stats.replicate_table`):
per group, the mean, sample standard deviation and t-based 95 % confidence interval across
replicate cells of ICE, average CE, cumulative CE (also at the last cycle all cells reached),
cycles to short, cycles run, capacity retention and RCT after N cycles, with ``n``, outlier
cells, and the cells whose value is flagged implausible left out (counted in ``excluded``)
unless a person accepted it; then, as on the page, the differences between groups (Welch's t
with Hedges' g, Mann-Whitney U with the rank-biserial r, Holm-adjusted p) and the survival to
a short (Kaplan-Meier per group, pairwise log-rank). The report template reads only the
:class:`StatisticsTable`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labdb.reports.selection import StudySelection
from labdb.selectors.statistics import study_statistics
from labdb.web.compare_stats import comparison_rows, replicate_table, survival_rows

#: one sentence on what the numbers are, for the report and its methods paragraph
CONVENTION = (
    "Values are the mean ± sample standard deviation (n - 1) across the replicate cells of "
    "each group, with n and the t-based 95 % confidence interval; a value flagged implausible "
    "is left out of its group's statistics and counted, unless a person accepted it with a "
    "reason."
)


@dataclass(frozen=True)
class StatisticsTable:
    #: (key, label) of each metric column
    columns: list[tuple[str, str]]
    #: per group: {"group", "cells", "values": [{"key", "text", "sd_text", "n", ...}]}
    rows: list[dict[str, Any]]
    grouped_by: str
    #: per metric and pair of groups (:func:`labdb.web.compare_stats.comparison_rows`)
    differences: list[dict[str, Any]] = field(default_factory=list)
    #: per group: cells, shorts, censored, median cycles to short; pairwise log-rank tests
    survival: list[dict[str, Any]] = field(default_factory=list)
    logrank: list[dict[str, Any]] = field(default_factory=list)
    convention: str = CONVENTION


def report_statistics(selection: StudySelection) -> StatisticsTable:
    """The statistics table of ``selection``'s groups (see the module docstring)."""
    stats = study_statistics(
        selection.groups(),
        selection.metrics(),
        by=selection.group_by,
        left_out=selection.left_out,
        accepted=selection.accepted,
    )
    columns, rows = replicate_table(stats)
    survival, logrank = survival_rows(stats)
    return StatisticsTable(
        columns=columns,
        rows=rows,
        grouped_by=selection.group_by,
        differences=comparison_rows(stats),
        survival=survival,
        logrank=logrank,
    )
