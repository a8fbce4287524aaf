"""The statistics section of a study report.

:func:`report_statistics` is the one place the report takes its statistics from. Today it is
the comparison page's replicate table (:func:`labdb.web.compare.replicate_table`): per group,
the mean and sample standard deviation across replicate cells of ICE, average CE, cumulative
CE, cycles to short, cycles run, capacity retention and RCT after N cycles, with ``n`` and the
cells whose value is flagged implausible left out (counted in ``excluded``). When a fuller
statistics module exists (confidence intervals, tests between groups, survival), point this
function at it: the report template reads only the :class:`StatisticsTable` it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labdb.reports.selection import StudySelection
from labdb.web.compare import replicate_table

#: one sentence on what the numbers are, for the report and its methods paragraph
CONVENTION = (
    "Values are the mean ± sample standard deviation (n - 1) across the replicate cells of "
    "each group (n given per value); a value flagged implausible is left out of its group's "
    "mean and counted."
)


@dataclass(frozen=True)
class StatisticsTable:
    #: (key, label) of each metric column
    columns: list[tuple[str, str]]
    #: per group: {"group", "cells", "values": [{"key", "text", "sd_text", "n", ...}]}
    rows: list[dict[str, Any]]
    grouped_by: str
    convention: str = CONVENTION


def report_statistics(selection: StudySelection) -> StatisticsTable:
    """The statistics table of ``selection``'s groups (see the module docstring)."""
    columns, rows = replicate_table(selection.groups(), selection.metrics())
    return StatisticsTable(columns=columns, rows=rows, grouped_by=selection.group_by)
