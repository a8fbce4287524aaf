"""Numbers as pages show them, with their plausibility flag (rules in labdb/plausibility.py).

A :class:`Shown` renders as its text (so ``{{ value }}`` keeps working) and carries the flag
that ``templates/_metric.html`` turns into a visible badge with the rule and cause as title."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labdb import models as m
from labdb.plausibility import Flag, metric_flag, result_flags
from labdb.selectors.results import accepted_flags

#: the metric keys of the cell pages and the comparison table -> their RUN_METRICS column
CELL_METRIC_COLUMNS = {
    "ice": "initial_coulombic_efficiency",
    "average_ce": "average_coulombic_efficiency",
    "cumulative_ce": "cumulative_coulombic_efficiency",
    "retention": "capacity_retention",
    "cycles": "cycle_count",
    "short_circuit_cycle": "short_circuit_cycle",
    "total_time_h": "total_time_h",
}


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


def result_metric_rows(result: m.AnalysisResult) -> list[tuple[str, Shown]]:
    """A cycling result's run metrics as a test-run page lists them (CE and retention in %)."""
    rows: list[tuple[str, Shown]] = []
    for rm in m.RUN_METRICS:
        value = getattr(result, rm.column)
        if rm.unit == "1":
            text = pct(value, 3 if rm.column == "average_coulombic_efficiency" else 2)
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
