"""What a report or a data package covers: the cells of a saved comparison (with the results it
was saved with) or of a comparison-page query (with the newest results), grouped as the
comparison page groups them, and the figure set the comparison page shows for it.

The figures are the comparison page's own (:data:`labdb.web.compare.PAPER_FIGURES` for the
paper's saved selection, :data:`~labdb.web.compare.CUSTOM_FIGURES` otherwise), built by the same
builders (:data:`labdb.web.compare_plots.COMPARE_PLOTS`) from stored results; nothing here
computes a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404, QueryDict

from labdb import models as m
from labdb.selectors import results as sel
from labdb.selectors.statistics import without_deviations
from labdb.web.cell_plots import CELL_PLOTS
from labdb.web.compare import CUSTOM_FIGURES, PAPER_FIGURES, SELECTION_KEYS
from labdb.web.compare_plots import COMPARE_PLOTS
from labdb.web.figures import PlotRequest
from labdb.web.saved import (
    PAPER_NAME,
    pinned_acceptances,
    pinned_results,
    saved_cells,
    saved_comparison,
)

#: the point budget of one series in a vector figure: LTTB-decimated like the page's plots,
#: but finer (4000 points across 175 mm is 0.04 mm apart, below what print resolves)
FIGURE_POINTS = 4000


def query_dict(params: dict[str, Any]) -> QueryDict:
    q = QueryDict(mutable=True)
    for key, value in params.items():
        q.setlist(key, [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)])
    return q


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "figure"


@dataclass(frozen=True)
class FigureSpec:
    """One figure of a set: the comparison page's tag ("Fig. 2b"), title, builder name and the
    query its card sends."""

    tag: str
    title: str
    name: str
    params: dict[str, Any]

    @property
    def stem(self) -> str:
        return slug(f"{self.tag} {self.name}" if self.tag else self.name)


@dataclass
class StudySelection:
    """The cells a report covers, the results it shows and how they are grouped."""

    user: Any
    name: str
    cells: list[m.Cell]
    results: list[m.AnalysisResult]
    group_by: str
    saved: m.SavedComparison | None = None
    query: dict[str, Any] = field(default_factory=dict)
    #: with "leave out deviating runs" (``conforming``): the cells left out, label -> the
    #: deviations of their runs from their protocols; None when nothing was left out on purpose
    left_out: dict[str, list[str]] | None = None
    #: the acceptances of implausible values a saved comparison pinned (None: those standing)
    accepted: dict[Any, dict[str, Any]] | None = None

    @property
    def paper(self) -> bool:
        return self.saved is not None and self.saved.name == PAPER_NAME

    def infos(self) -> list[sel.CellInfo]:
        return list(sel.cell_infos(self.cells).values())

    def groups(self) -> dict[str, list[sel.CellInfo]]:
        by = self.group_by if self.group_by in sel.GROUPINGS else "formulation"
        return sel.grouped(self.infos(), by)

    def metrics(self) -> dict[Any, sel.CellMetrics]:
        return sel.cell_metrics(self.user, self.cells, self.results)

    def figures(self) -> list[FigureSpec]:
        """The comparison page's figure set for this selection, in its order."""
        if self.saved is not None:
            base: dict[str, Any] = {"saved": str(self.saved.pk)}
            for key in ("group", "conforming"):
                if self.query.get(key):
                    base[key] = self.query[key]
            table = PAPER_FIGURES if self.paper else CUSTOM_FIGURES
            return [FigureSpec(tag, t, n, {**p, **base}) for tag, t, n, p in table]
        params = {k: v for k, v in self.query.items() if v}
        return [FigureSpec(tag, t, n, {**params, **p}) for tag, t, n, p in CUSTOM_FIGURES]


def _conforming(
    user: Any, cells: list[m.Cell], results: list[m.AnalysisResult]
) -> tuple[list[m.Cell], list[m.AnalysisResult], dict[str, list[str]]]:
    """The cells none of whose runs deviate from their protocol (as the comparison page's
    "leave out deviating runs" keeps them), their results, and the cells left out."""
    kept, left_out = without_deviations(user, list(sel.cell_infos(cells).values()), results)
    ids = {i.cell.pk for i in kept}
    kept_cells = [c for c in cells if c.pk in ids]
    return kept_cells, [r for r in results if r.test_run.cell_id in ids], left_out


def from_saved(
    user: Any, saved: m.SavedComparison, group: str = "", *, conforming: bool = False
) -> StudySelection:
    """A saved comparison: its frozen cells and the results it was saved with; with
    ``conforming``, without the cells whose runs deviate from their protocol."""
    cells = saved_cells(user, saved)
    named = bool(saved.options.get("cells_named"))
    by = group or saved.options.get("group") or ("cell" if named else "formulation")
    results = pinned_results(saved, cells, None)
    left_out = None
    if conforming:
        cells, results, left_out = _conforming(user, cells, results)
    query: dict[str, Any] = {"group": group} if group else {}
    if conforming:
        query["conforming"] = "1"
    return StudySelection(
        user=user,
        name=saved.name,
        cells=cells,
        results=results,
        group_by=by,
        saved=saved,
        query=query,
        left_out=left_out,
        accepted=pinned_acceptances(saved),
    )


def from_query(user: Any, query: QueryDict | dict[str, Any]) -> StudySelection:
    """The cells the comparison page shows for ``cells``/``kind``/``seed``/``binder`` and the
    newest result of each of their runs."""
    get = query.getlist if isinstance(query, QueryDict) else None
    chosen: dict[str, Any] = {}
    for key in SELECTION_KEYS:
        if key == "cells":
            chosen[key] = list(get(key) if get else query.get(key, []) or [])
        else:
            chosen[key] = str(query.get(key, "") or "")
    infos = sel.comparison_cells(
        user,
        labels=[v for v in chosen["cells"] if v],
        kind=chosen["kind"],
        seed=chosen["seed"],
        binder=chosen["binder"],
    )
    cells = [i.cell for i in infos]
    by = chosen["group"] or ("cell" if chosen["cells"] else "formulation")
    results = sel.results_of_cells(user, cells, None)
    left_out = None
    if chosen["conforming"]:
        cells, results, left_out = _conforming(user, cells, results)
    return StudySelection(
        user=user,
        name=f"comparison of {len(cells)} cells",
        cells=cells,
        results=results,
        group_by=by,
        query=chosen,
        left_out=left_out,
    )


def compare_figure(user: Any, spec: FigureSpec) -> dict[str, Any]:
    """The figure dict of one comparison figure (as the page plots it, finer decimation)."""
    builder = COMPARE_PLOTS[spec.name]
    return builder(None, PlotRequest(user, query_dict(spec.params), FIGURE_POINTS))


def cell_figure(user: Any, cell: m.Cell, name: str, params: dict[str, Any]) -> dict[str, Any]:
    """The figure dict of one of the cell page's plots."""
    builder = CELL_PLOTS[name]
    return builder(cell, PlotRequest(user, query_dict(params), FIGURE_POINTS))


def selection_of(user: Any, data: QueryDict) -> StudySelection:
    """A saved comparison (``saved``, with ``group`` and ``conforming``) or the comparison
    page's query (``cells``, ``kind``, ``seed``, ``binder``, ``group``, ``conforming``)."""
    if data.get("saved"):
        saved = saved_comparison(user, data["saved"])
        if saved is None:
            raise Http404("no such saved comparison")
        return from_saved(
            user, saved, data.get("group", ""), conforming=bool(data.get("conforming"))
        )
    return from_query(user, data)
