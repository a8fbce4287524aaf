"""Study statistics of a selection of cells, grouped: the reads behind the statistics on
/compare/ and ``/api/v1/statistics/``.

Every number comes from stored results (the per-cell headline metrics of
:func:`labdb.selectors.results.cell_metrics`, the protocol check stored with each result);
the maths is :mod:`analysis.statistics` (definitions, units and references there and in
docs/statistics.md). API:

- :func:`study_statistics` (``user``, cell infos, metrics, grouping) -> :class:`StudyStatistics`
  with, per metric, each group's n / mean / sd / 95 % CI, its values per cell, outliers
  (modified z-score) and every pair of groups compared (Welch's t + Hedges' g, Mann-Whitney
  U + rank-biserial, Holm-adjusted); and the Kaplan-Meier curve of cycles to short per group
  with the pairwise log-rank tests. ``to_dict()`` is the API's JSON. A value flagged
  implausible is left out of its group unless a person accepted it with a reason
  (FlagAcceptance); cumulative CE is also compared at the last cycle every cell reached.
- :func:`run_deviations` / :func:`without_deviations`: the cells whose runs deviate from their
  protocol, to leave them out with one click.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import numpy as np

from analysis.statistics import (
    Comparison,
    LogRank,
    Summary,
    SurvivalCurve,
    compare_groups,
    describe,
    kaplan_meier,
    logrank_pairs,
    outliers,
)
from analysis.statistics.compare import CORRECTION
from analysis.statistics.outliers import MODIFIED_Z_LIMIT
from labdb import models as m
from labdb.plausibility import CELL_METRIC_COLUMNS, PLAUSIBLE_RANGES, metric_flag
from labdb.selectors import results as sel
from labdb.selectors.headline import STAT_ATTRIBUTE

#: metrics summarised per group but not tested between groups: cycles to short only over the
#: shorted cells (the survival analysis compares them with censoring), cycles run (a choice
#: of the experimenter, not a property of the material)
NOT_COMPARED = ("short_circuit_cycle", "cycles")

#: key of the cumulative CE at the last cycle every compared cell reached: a product of
#: per-cycle CEs falls with every cycle, so cells that ran different numbers of cycles are
#: compared at the same one
COMMON_CE = "cumulative_ce_common"

#: (key of CellMetrics.value, label, unit) of the metrics summarised per group
STAT_METRICS: tuple[tuple[str, str, str], ...] = (
    ("ice", "initial coulombic efficiency", "1"),
    ("average_ce", "average coulombic efficiency", "1"),
    ("cumulative_ce", "cumulative coulombic efficiency", "1"),
    ("short_circuit_cycle", "cycles to short (shorted cells)", "cycles"),
    ("cycles", "cycles run", "cycles"),
    ("retention", "capacity retention", "1"),
)


@dataclass
class GroupStats:
    """One metric of one group: the summary, the cells' values, what was left out and why,
    and the outlier flags (cell label, reason)."""

    summary: Summary
    values: list[tuple[str, float]]
    implausible: list[tuple[str, str]] = field(default_factory=list)
    outliers: list[tuple[str, str]] = field(default_factory=list)
    #: cells whose flagged value counts: a person accepted it with a reason (audited)
    accepted: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary.to_dict(),
            "values": [{"cell": c, "value": v} for c, v in self.values],
            "left_out_implausible": [{"cell": c, "reason": r} for c, r in self.implausible],
            "counted_accepted": self.accepted,
            "outliers": [{"cell": c, "reason": r} for c, r in self.outliers],
        }


@dataclass
class MetricStats:
    key: str
    label: str
    unit: str
    groups: dict[str, GroupStats]
    comparisons: list[Comparison]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "unit": self.unit,
            "groups": {g: s.to_dict() for g, s in self.groups.items()},
            "comparisons": [c.to_dict() for c in self.comparisons],
        }


@dataclass
class StudyStatistics:
    by: str
    groups: dict[str, list[str]]
    metrics: list[MetricStats]
    survival: dict[str, SurvivalCurve]
    logrank: list[LogRank]
    #: cells left out because a run deviates from its protocol (label -> messages)
    left_out: dict[str, list[str]] = field(default_factory=dict)
    #: group -> its Cell records (for links; not in the JSON)
    cells: dict[str, list[m.Cell]] = field(default_factory=dict, repr=False)

    def metric(self, key: str) -> MetricStats | None:
        return next((s for s in self.metrics if s.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "grouped_by": self.by,
            "groups": self.groups,
            "multiple_comparisons": CORRECTION,
            "comparison_family": "the pairs of groups of one metric and cell kind",
            "outlier_rule": f"|modified z| > {MODIFIED_Z_LIMIT:g} (Iglewicz-Hoaglin)",
            "confidence": 0.95,
            "metrics": [s.to_dict() for s in self.metrics],
            "survival": {
                "event": "short circuit (cycle detected); censored: cells that did not short, "
                "at the cycles they ran",
                "curves": {g: c.to_dict() for g, c in self.survival.items()},
                "logrank": [t.to_dict() for t in self.logrank],
            },
            "left_out_for_protocol_deviations": self.left_out,
            "definitions": "docs/statistics.md",
        }


@dataclass(frozen=True)
class _Group:
    """A group's cells in order: their labels and headline numbers (looked up once for all
    metrics)."""

    labels: list[str]
    metrics: list[sel.CellMetrics]


def _group_rows(
    groups: Mapping[str, Sequence[sel.CellInfo]], metrics: Mapping[Any, sel.CellMetrics]
) -> dict[str, _Group]:
    return {
        g: _Group([i.cell.label for i in infos], [metrics[i.cell.id] for i in infos])
        for g, infos in groups.items()
    }


def _implausible(column: str, values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Where a present value breaks its plausible range (a NaN breaks every range), as
    :func:`labdb.plausibility.metric_flag` decides one value at a time."""
    spec = PLAUSIBLE_RANGES.get(column)
    if spec is None:
        return np.zeros(values.shape, dtype=bool)
    holds = np.ones(values.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        if spec.low is not None:
            holds &= values >= spec.low
        if spec.high is not None:
            holds &= values <= spec.high
    return present & ~holds


def _metric_stats(
    key: str,
    label: str,
    unit: str,
    rows: Mapping[str, _Group],
    families: Sequence[Sequence[str]],
    values_of: Callable[[Sequence[sel.CellMetrics], str], list[Any]],
    accepted: Mapping[Any, Mapping[str, Any]],
) -> MetricStats:
    """One metric over the groups: each group's values as a numpy array (one pass over its
    cells), the implausible ones found by array comparison and only those looked at one by
    one (flag text, acceptance)."""
    column = CELL_METRIC_COLUMNS.get("cumulative_ce" if key == COMMON_CE else key, key)
    out: dict[str, GroupStats] = {}
    arrays: dict[str, np.ndarray] = {}
    for group, row in rows.items():
        raw = values_of(row.metrics, key)
        present = np.array([v is not None for v in raw], dtype=bool)
        values = np.array([0.0 if v is None else v for v in raw], dtype=np.float64)
        keep = present.copy()
        implausible: list[tuple[str, str]] = []
        counted: list[str] = []
        for i in np.flatnonzero(_implausible(column, values, present)).tolist():
            flag = metric_flag(column, float(values[i]))
            assert flag is not None  # the array test and metric_flag agree
            cm = row.metrics[i]
            if cm.result is not None and flag.metric in accepted.get(cm.result.pk, {}):
                counted.append(row.labels[i])  # implausible, but accepted with a reason
            else:  # kept out of the group's statistics, and said so
                implausible.append((row.labels[i], flag.text))
                keep[i] = False
        index = np.flatnonzero(keep)
        kept = values[index]
        labels = [row.labels[i] for i in index.tolist()]
        flagged = outliers(kept)
        arrays[group] = kept
        out[group] = GroupStats(
            describe(kept),
            list(zip(labels, kept.tolist(), strict=True)),
            implausible,
            [(labels[o.index], o.reason) for o in flagged],
            counted,
        )
    comparisons: list[Comparison] = []
    if key not in NOT_COMPARED:
        for family in families:
            comparisons += compare_groups({g: arrays[g] for g in family})
    return MetricStats(key, label, unit, out, comparisons)


def common_cycle(metrics: Mapping[Any, sel.CellMetrics]) -> int | None:
    """The last cycle every compared cell with cycling results reached."""
    counts = [cm.cycles for cm in metrics.values() if cm.result is not None and cm.cycles]
    return min(counts) if counts else None


def _families(groups: Mapping[str, Sequence[sel.CellInfo]]) -> dict[str, list[str]]:
    """The groups of one cell kind together (half cells are never compared with full cells:
    different quantities under the same name); a group of mixed kinds stands alone."""
    out: dict[str, list[str]] = {}
    for group, infos in groups.items():
        kinds = {i.cell.kind for i in infos}
        out.setdefault(kinds.pop() if len(kinds) == 1 else group, []).append(group)
    return out


def survival_data(
    infos: Sequence[sel.CellInfo], metrics: Mapping[Any, sel.CellMetrics]
) -> tuple[list[float], list[bool]]:
    """(cycles, shorted) of the cells that have a cycling result: a shorted cell's cycles run
    up to and including the short's onset (event), else the cycles it ran (censored). Both are
    counts of the cycles in the order they ran, never the vendor's cycle labels (which skip
    numbers where the vendor counts an EIS or a partial step as a cycle)."""
    durations, observed = [], []
    for info in infos:
        cm = metrics[info.cell.id]
        if cm.result is None:
            continue
        if cm.cycles_to_short is not None:
            durations.append(float(cm.cycles_to_short))
            observed.append(True)
        elif cm.cycles:
            durations.append(float(cm.cycles))
            observed.append(False)
    return durations, observed


def survival_groups(
    groups: Mapping[str, Sequence[sel.CellInfo]], metrics: Mapping[Any, sel.CellMetrics]
) -> dict[str, tuple[list[float], list[bool]]]:
    """group -> (cycles, shorted) of its cells with a cycling result (groups without any
    are left out)."""
    data = {g: survival_data(infos, metrics) for g, infos in groups.items()}
    return {g: d for g, d in data.items() if d[0]}


def survival_curves(
    groups: Mapping[str, Sequence[sel.CellInfo]], metrics: Mapping[Any, sel.CellMetrics]
) -> dict[str, SurvivalCurve]:
    """The Kaplan-Meier curve of cycles to short of each group with cycling results."""
    return {g: kaplan_meier(*d) for g, d in survival_groups(groups, metrics).items()}


def study_statistics(
    groups: Mapping[str, Sequence[sel.CellInfo]],
    metrics: Mapping[Any, sel.CellMetrics],
    *,
    by: str,
    left_out: Mapping[str, list[str]] | None = None,
    accepted: Mapping[Any, Mapping[str, Any]] | None = None,
) -> StudyStatistics:
    """The statistics of ``groups`` (from :func:`labdb.selectors.results.grouped`) of cells
    with their ``metrics`` (:func:`labdb.selectors.results.cell_metrics`). An implausible value
    counts when a person accepted it: the acceptances standing now, or ``accepted`` (result
    pk -> metric -> acceptance: those a saved comparison pinned)."""
    ns = sorted({n for cm in metrics.values() for n in cm.rct_after})
    mains = [cm.result for cm in metrics.values() if cm.result is not None]
    if accepted is None:
        accepted = sel.accepted_flags(mains)
    common = common_cycle(metrics)
    at_common = sel.cumulative_ce_at(mains, common) if common else {}

    def values_of(cms: Sequence[sel.CellMetrics], key: str) -> list[Any]:
        """The value of ``key`` of each cell (None: none), as :meth:`CellMetrics.value`
        reads it, one C-level pass per group (a decade: 10,000 cells times 8 metrics)."""
        if key == COMMON_CE:
            return [
                at_common.get(cm.result.job_id) if cm.result is not None else None for cm in cms
            ]
        if key.startswith("rct_"):
            n = int(key.split("_")[1])
            return [cm.rct_after.get(n) for cm in cms]
        return list(map(attrgetter(STAT_ATTRIBUTE.get(key, key)), cms))

    at = [(COMMON_CE, f"cumulative CE at cycle {common}", "1")] if common else []
    specs = [
        *STAT_METRICS[:3],
        *at,
        *STAT_METRICS[3:],
        *((f"rct_{n}", f"RCT after {n} cycles", "ohm cm2") for n in ns),
    ]
    rows = _group_rows(groups, metrics)
    families = list(_families(groups).values())
    stats = [
        _metric_stats(k, lbl, unit, rows, families, values_of, accepted) for k, lbl, unit in specs
    ]
    surv = survival_groups(groups, metrics)
    tests: list[LogRank] = []
    for family in _families(groups).values():
        within = {g: surv[g] for g in family if g in surv}
        tests += logrank_pairs(within) if len(within) > 1 else []
    return StudyStatistics(
        by=by,
        groups={g: [i.cell.label for i in infos] for g, infos in groups.items()},
        metrics=stats,
        survival={g: kaplan_meier(*d) for g, d in surv.items()},
        logrank=tests,
        left_out=dict(left_out or {}),
        cells={g: [i.cell for i in infos] for g, infos in groups.items()},
    )


def run_deviations(results: Sequence[m.AnalysisResult]) -> dict[Any, list[str]]:
    """cell id -> the deviation messages of its runs' results ("RUN: message")."""
    out: dict[Any, list[str]] = {}
    for r in results:
        if r.test_run.cell_id is None or not r.conformance:
            continue
        for d in r.conformance.get("deviations", []):
            out.setdefault(r.test_run.cell_id, []).append(f"{r.test_run.label}: {d['message']}")
    return out


def without_deviations(
    user: Any, infos: Sequence[sel.CellInfo], results: Sequence[m.AnalysisResult] | None = None
) -> tuple[list[sel.CellInfo], dict[str, list[str]]]:
    """The cells none of whose runs (newest results, or ``results``) deviate from their
    protocol, and the others (label -> deviation messages)."""
    if results is None:
        from labdb.selectors.cell_summary import deviating_results

        results = deviating_results(user, [i.cell for i in infos])
    deviations = run_deviations(results)
    kept = [i for i in infos if i.cell.pk not in deviations]
    left = {i.cell.label: deviations[i.cell.pk] for i in infos if i.cell.pk in deviations}
    return kept, left
