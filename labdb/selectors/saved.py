"""Reading saved comparisons (used by the comparison page, its reports and the API): the
comparison a person may see, and the cells, results and acceptances of implausible values it
was saved with."""

from __future__ import annotations

import uuid
from typing import Any

from labdb import models as m
from labdb.selectors.access import visible


def saved_comparison(user: Any, key: str) -> m.SavedComparison | None:
    """The saved comparison ``key`` (its UUID) if ``user`` may see it."""
    try:
        pk = uuid.UUID(str(key))
    except ValueError:
        return None
    return visible(m.SavedComparison, user).filter(pk=pk).first()


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
