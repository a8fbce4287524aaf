"""The figure primitives every plot builder uses: the request a builder answers
(:class:`PlotRequest`), the builder type, and Plotly figure dicts (``data`` and ``layout``)
made of JSON-ready traces.

Builders (:mod:`labdb.web.cell_plots`, :mod:`labdb.web.compare_plots`,
:mod:`labdb.web.batch_plots`) import from here; the endpoints in :mod:`labdb.web.plots` import
the builders. This module imports no builder.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.http import QueryDict


@dataclass(frozen=True)
class PlotRequest:
    user: Any
    params: QueryDict
    max_points: int | None

    def get(self, name: str, default: str = "") -> str:
        return str(self.params.get(name, default)).strip()

    def budget(self, points: int) -> int | None:
        return None if self.max_points is None else min(self.max_points, points)


Builder = Callable[[Any, PlotRequest], dict[str, Any]]


def values(seq: Any) -> list[Any]:
    """JSON-ready list: numpy to Python, NaN/inf to None."""
    if isinstance(seq, np.ndarray):
        seq = seq.tolist()
    out = []
    for v in seq:
        if isinstance(v, float) and not math.isfinite(v):
            out.append(None)
        elif isinstance(v, np.generic):
            item = v.item()
            out.append(None if isinstance(item, float) and not math.isfinite(item) else item)
        else:
            out.append(v)
    return out


def trace(name: str, x: Any, y: Any, mode: str = "lines", **kw: Any) -> dict[str, Any]:
    return {"type": "scatter", "name": name, "x": values(x), "y": values(y), "mode": mode, **kw}


def figure(
    title: str, x_title: str, y_title: str, data: list[dict[str, Any]], **layout: Any
) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": {"text": title},
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {"title": {"text": y_title}},
    }
    for key, value in layout.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    fig: dict[str, Any] = {"data": data, "layout": base}
    if not data:
        fig["empty"] = "No data for this plot yet."
    return fig


def empty(title: str, message: str) -> dict[str, Any]:
    return {"data": [], "layout": {"title": {"text": title}}, "empty": message}
