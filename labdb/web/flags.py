"""Numbers as pages show them, with their plausibility flag (rules in labdb/plausibility.py).

A :class:`Shown` renders as its text (so ``{{ value }}`` keeps working) and carries the flag
that ``templates/_metric.html`` turns into a visible badge with the rule and cause as title."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from labdb import models as m
from labdb.plausibility import CELL_METRIC_COLUMNS, Flag, metric_flag, result_flags
from labdb.selectors.results import accepted_flags
from labdb.selectors.uncertainty import CyclingBounds


@dataclass(frozen=True)
class Shown:
    text: str
    flag: Flag | None = None

    def __str__(self) -> str:
        return self.text


def pct(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f} %"


def shown(column: str, value: float | None, text: str | None = None) -> Shown:
    """``value`` of the RUN_METRICS ``column`` (or a CELL_METRIC_COLUMNS key) as shown."""
    column = CELL_METRIC_COLUMNS.get(column, column)
    return Shown(text if text is not None else str(value), metric_flag(column, value))


def pct_pm(value: float | None, bound: float | None, digits: int = 2) -> str:
    """A fraction in % with its instrument error bound ("99.620 % ± 0.012 %"): the bound
    with two significant digits, the value with as many decimals (at least ``digits``)."""
    if value is None:
        return "—"
    if bound is None or not math.isfinite(bound) or bound <= 0:
        return pct(value, digits)
    d = min(max(digits, 1 - math.floor(math.log10(bound * 100))), 8)
    return f"{value * 100:.{d}f} % ± {bound * 100:.{d}f} %"


#: RUN_METRICS column -> the CyclingBounds attribute of its error bound
BOUNDED = {
    "average_coulombic_efficiency": "average_ce",
    "cumulative_coulombic_efficiency": "final_cumulative_ce",
}


def result_metric_rows(
    result: m.AnalysisResult, bounds: CyclingBounds | None = None
) -> list[tuple[str, Shown]]:
    """A cycling result's run metrics as a test-run page lists them (CE and retention in %,
    average and cumulative CE with the instrument's error bound when it states its
    accuracy)."""
    rows: list[tuple[str, Shown]] = []
    for rm in m.RUN_METRICS:
        value = getattr(result, rm.column)
        if rm.unit == "1":
            digits = 3 if rm.column == "average_coulombic_efficiency" else 2
            bound = getattr(bounds, BOUNDED[rm.column]) if bounds and rm.column in BOUNDED else None
            text = pct_pm(value, bound, digits)
        elif value is None:
            text = "none detected" if rm.column == "short_circuit_cycle" else "—"
        elif rm.unit == "h":
            text = f"{value:.1f} h"
        else:
            text = str(value)
        rows.append((rm.label[0].upper() + rm.label[1:], shown(rm.column, value, text)))
    return rows


@dataclass(frozen=True)
class FlagRow:
    """A flag of a result as the pages list it, with the standing acceptance if any."""

    result: m.AnalysisResult
    flag: Flag
    acceptance: m.FlagAcceptance | None


def cycle_level_flags(result: m.AnalysisResult | None) -> list[FlagRow]:
    """Every flag of a result, its per-cycle values and the capacity check included, each
    with its standing acceptance (two queries)."""
    if result is None:
        return []
    accepted = accepted_flags([result]).get(result.pk, {})
    return [FlagRow(result, f, accepted.get(f.metric)) for f in result_flags(result)]


def excluded_note(excluded: list[tuple[Any, Flag]]) -> str:
    """The title text naming the implausible values left out of a group's statistics."""
    return "; ".join(f"{cell}: {flag.text}" for cell, flag in excluded)
