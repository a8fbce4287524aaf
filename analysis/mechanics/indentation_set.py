"""Several indents in one record (an array of indents exported as one file), each analysed by
:func:`~analysis.mechanics.indentation.oliver_pharr`, and their mean and spread."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from analysis.mechanics._series import _arr
from analysis.mechanics.indentation import IndentationResult, oliver_pharr
from analysis.mechanics.indentation_history import split_indents

#: The per-indent quantities summarised over a set (mean, sample sd).
SET_METRICS = (
    "hardness_GPa",
    "reduced_modulus_GPa",
    "indentation_modulus_GPa",
    "elastic_recovery",
    "eta_IT_percent",
    "creep_C_IT_percent",
    "relaxation_R_IT_percent",
    "max_depth_nm",
    "max_load_mN",
)


@dataclass(frozen=True)
class IndentationSet:
    """The indents of one record: ``indents`` (analysed, with their first row), ``failures``
    (``(first row, message)`` of indents that could not be analysed) and, per quantity of
    :data:`SET_METRICS`, the mean and sample standard deviation over the analysed indents."""

    indents: tuple[IndentationResult, ...]
    first_rows: tuple[int, ...]
    failures: tuple[tuple[int, str], ...]

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {"indent_count": len(self.indents)}
        for key in SET_METRICS:
            raw = [getattr(r, key) for r in self.indents]
            values = [float(v) for v in raw if v is not None and np.isfinite(v)]
            out[key] = statistics.fmean(values) if values else None
            out[f"{key}_sd"] = statistics.stdev(values) if len(values) > 1 else None
        return out

    def to_json(self) -> dict[str, Any]:
        """One indent: its own JSON (plus ``indent_count``). Several: the set statistics
        (``<metric>`` the mean, ``<metric>_sd`` the sample sd) and ``indents``, one JSON each."""
        if len(self.indents) == 1 and not self.failures:
            return {**self.indents[0].to_json(), "indent_count": 1}
        out = self.stats()
        out["indents"] = [
            {"first_row": row, **r.to_json()}
            for row, r in zip(self.first_rows, self.indents, strict=True)
        ]
        out["failures"] = [{"first_row": row, "error": msg} for row, msg in self.failures]
        return out


def indentation_set(
    depth_nm: npt.ArrayLike,
    load_mN: npt.ArrayLike,
    time_s: npt.ArrayLike | None = None,
    *,
    contact_fraction: float = 0.02,
    **options: Any,
) -> IndentationSet:
    """Split a record into indents (:func:`~analysis.mechanics.indentation_history.split_indents`:
    runs of rows above ``contact_fraction`` of the largest load) and analyse each with
    :func:`~analysis.mechanics.indentation.oliver_pharr` (``options`` are its keyword
    arguments). An indent that cannot be analysed is listed in ``failures`` with the reason;
    when none can, ``ValueError`` with the first reason."""
    h = _arr(depth_nm, "depth_nm")
    p = _arr(load_mN, "load_mN")
    t = None if time_s is None else _arr(time_s, "time_s")
    finite = np.isfinite(p)
    if not finite.any():
        raise ValueError("the load column has no finite value")
    ranges = split_indents(np.where(finite, p, 0.0), contact_fraction=contact_fraction)
    results: list[IndentationResult] = []
    rows: list[int] = []
    failures: list[tuple[int, str]] = []
    for a, b in ranges:
        try:
            r = oliver_pharr(h[a:b], p[a:b], None if t is None else t[a:b], **options)
        except ValueError as exc:
            if len(ranges) == 1:
                raise
            failures.append((a, str(exc)))
            continue
        results.append(r)
        rows.append(a)
    if not results:
        raise ValueError(f"no indent could be analysed: {failures[0][1]}")
    return IndentationSet(tuple(results), tuple(rows), tuple(failures))
