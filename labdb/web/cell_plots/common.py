"""Helpers shared by the cell page's plots (and the comparison and batch pages): the colour
cycle, percentages, and a series decimated to the request's point budget."""

from __future__ import annotations

from typing import Any

import numpy as np

from labdb.web.decimate import lttb
from labdb.web.figures import PlotRequest

PERCENT = 100.0

PALETTE = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
    "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
]  # fmt: skip


def right_axis(title: str) -> dict[str, Any]:
    """A second y axis on the right (``yaxis2``), over the first, without its own grid."""
    return {
        "title": {"text": title},
        "overlaying": "y",
        "side": "right",
        "tickmode": "auto",
        "showgrid": False,
    }


#: The right-hand axis of capacity retention (%) over a capacity plot.
RETENTION_AXIS = right_axis("retention (%)")


def _pct(xs: list[Any]) -> list[Any]:
    return [None if v is None else v * PERCENT for v in xs]


def _series(req: PlotRequest, x: list[Any], y: list[Any], points: int = 2000) -> tuple[Any, Any]:
    budget = req.budget(points)
    xa = np.asarray([np.nan if v is None else v for v in x], dtype=float)
    ya = np.asarray([np.nan if v is None else v for v in y], dtype=float)
    if budget is not None:
        xa, ya = lttb(xa, ya, budget)
    if all(isinstance(v, int) for v in x):
        return xa.astype(np.int64), ya
    return xa, ya
