"""Reading saved comparisons for the comparison page and its plots: the pinned cells, results
and acceptances, and what is newer than them (offered, never taken in)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from labdb import models as m
from labdb.selectors import results as sel
from labdb.selectors.access import visible

#: the name under which the paper's figures (the default view) are frozen
PAPER_NAME = "Paper figures (Oh, Sohn & Choi 2025)"


def saved_comparison(user: Any, key: str) -> m.SavedComparison | None:
    """The saved comparison ``key`` (its UUID) if ``user`` may see it."""
    try:
        pk = uuid.UUID(str(key))
    except ValueError:
        return None
    return visible(m.SavedComparison, user).filter(pk=pk).first()


def paper_comparison(user: Any) -> m.SavedComparison | None:
    return visible(m.SavedComparison, user).filter(name=PAPER_NAME).order_by("created_at").first()


def saved_cells(user: Any, saved: m.SavedComparison) -> list[m.Cell]:
    cells = visible(m.Cell, user).filter(pk__in=saved.cells.all())
    return list(cells.select_related("anode_batch__formulation").order_by("label"))


def pinned_results(
    saved: m.SavedComparison, cells: list[m.Cell] | None, kind: str | None
) -> list[m.AnalysisResult]:
    """The results the comparison was saved with (of ``cells`` and ``kind`` when given)."""
    qs = saved.results.select_related("test_run__protocol", "test_run__cell", "job__parsed_table")
    if kind is not None:
        qs = qs.filter(kind=kind)
    if cells is not None:
        qs = qs.filter(test_run__cell__in=cells)
    return sorted(qs, key=lambda r: (r.test_run.cell_id, r.test_run.label))


def pinned_acceptances(saved: m.SavedComparison) -> dict[Any, dict[str, m.FlagAcceptance]]:
    """result pk -> metric -> acceptance: the acceptances of implausible values the comparison
    was saved with (they count in its statistics, also if withdrawn later; one made later
    does not)."""
    out: dict[Any, dict[str, m.FlagAcceptance]] = {}
    for a in saved.acceptances.select_related("accepted_by"):
        out.setdefault(a.result_id, {})[a.metric] = a
    return out


@dataclass(frozen=True)
class Newer:
    """What changed since a comparison was saved: newer results, new matching cells, and
    acceptances of implausible values made or withdrawn since on its pinned results."""

    results: list[m.AnalysisResult]
    cells: list[m.Cell]
    accepted: list[m.FlagAcceptance] = field(default_factory=list)
    withdrawn: list[m.FlagAcceptance] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.results or self.cells or self.accepted or self.withdrawn)


def newer_than(user: Any, saved: m.SavedComparison) -> Newer:
    """Results of its cells' runs newer than the pinned ones, and new cells that match its
    filters (only when it was saved by filters, not by naming cells)."""
    cells = saved_cells(user, saved)
    pinned = set(saved.results.values_list("pk", flat=True))
    results = [r for r in sel.results_of_cells(user, cells, None) if r.pk not in pinned]
    new_cells: list[m.Cell] = []
    if not saved.options.get("cells_named"):
        matching = sel.comparison_cells(
            user,
            kind=saved.options.get("kind", ""),
            seed=saved.options.get("seed", ""),
            binder=saved.options.get("binder", ""),
        )
        have = {c.pk for c in cells}
        new_cells = [i.cell for i in matching if i.cell.pk not in have]
    pinned_acc = set(saved.acceptances.values_list("pk", flat=True))
    standing = m.FlagAcceptance.objects.filter(result__in=pinned, withdrawn_at__isnull=True)
    accepted = list(standing.exclude(pk__in=pinned_acc).select_related("result__test_run"))
    withdrawn = list(
        saved.acceptances.filter(withdrawn_at__isnull=False).select_related("result__test_run")
    )
    return Newer(results, new_cells, accepted, withdrawn)
