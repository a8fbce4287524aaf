"""Reading saved comparisons for the comparison page and its plots: the pinned cells, results
and acceptances, and what is newer than them (offered, never taken in)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labdb import models as m
from labdb.selectors import results as sel
from labdb.selectors.access import visible
from labdb.selectors.saved import (
    pinned_acceptances,
    pinned_results,
    saved_cells,
    saved_comparison,
)

__all__ = [  # the readers moved to labdb.selectors.saved (the API uses them too) stay here
    "PAPER_NAME",
    "Newer",
    "newer_than",
    "paper_comparison",
    "pinned_acceptances",
    "pinned_results",
    "saved_cells",
    "saved_comparison",
]

#: the name under which the paper's figures (the default view) are frozen
PAPER_NAME = "Paper figures (Oh, Sohn & Choi 2025)"


def paper_comparison(user: Any) -> m.SavedComparison | None:
    return visible(m.SavedComparison, user).filter(name=PAPER_NAME).order_by("created_at").first()


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
    filters (only when it was saved by filters, not by naming cells). Only results of the
    kinds its figures use count (:data:`labdb.selectors.results.COMPARED_KINDS`): a newer
    dQ/dV result (which follows every cycling job) changes none of them."""
    cells = saved_cells(user, saved)
    pinned = set(saved.results.values_list("pk", flat=True))
    results = [
        r
        for r in sel.results_of_cells(user, cells, None)
        if r.pk not in pinned and r.kind in sel.COMPARED_KINDS
    ]
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
