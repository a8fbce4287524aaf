"""The statistics tables of the comparison page, formatted from
:class:`labdb.selectors.statistics.StudyStatistics` (no maths here: definitions in
docs/statistics.md)."""

from __future__ import annotations

import math
from typing import Any

from labdb.selectors.statistics import COMMON_CE, StudyStatistics

#: (metric key, column label, style) of the replicate table; pct: a fraction shown in %
TABLE_METRICS = [
    ("ice", "ICE", "pct"),
    ("average_ce", "average CE", "pct3"),
    ("cumulative_ce", "cumulative CE", "pct"),
    ("short_circuit_cycle", "cycles to short", "int"),
    ("cycles", "cycles run", "int"),
    ("retention", "capacity retention", "pct"),
]
BASE_DECIMALS = {"pct": 2, "pct3": 3, "int": 0, "num": 2}
#: cells named in one table cell's outlier badges and implausible/accepted titles (the rest
#: counted): a group of a decade has thousands of cells, and the page shows groups
NAMED = 20


def _scale(style: str) -> float:
    return 100.0 if style.startswith("pct") else 1.0


def decimals(sd: float | None, style: str) -> int:
    """Decimals to show a mean and its sd with: the style's, or more until the sd has two
    significant digits (so a spread of 0.0004 % is not printed as 0.000)."""
    base = BASE_DECIMALS.get(style, 2)
    if sd is None or sd == 0 or not math.isfinite(sd):
        return base
    need = 1 - math.floor(math.log10(abs(sd) * _scale(style)))
    return min(max(base, need), 8)


def number(value: float | None, style: str, digits: int) -> str:
    if value is None:
        return "—"
    return f"{value * _scale(style):.{digits}f}"


def _cell(stats: StudyStatistics, group: str, key: str, style: str) -> dict[str, Any]:
    metric = stats.metric(key)
    g = metric.groups.get(group) if metric is not None else None
    if g is None:
        return {"key": key, "mean": None, "raw": "", "n": 0, "text": "—"}
    s = g.summary
    digits = decimals(s.sd, style)
    unit = " %" if style.startswith("pct") and s.mean is not None else ""
    ci = (
        f"95 % CI {number(s.ci_low, style, digits)} to {number(s.ci_high, style, digits)}{unit}"
        if s.ci_low is not None
        else ""
    )
    shorted = key == "short_circuit_cycle"
    total = len(stats.groups.get(group, []))
    return {
        "key": key,
        "mean": s.mean,
        "raw": "" if s.mean is None else repr(s.mean),
        "sd": s.sd,
        "n": s.n,
        "text": number(s.mean, style, digits) + unit,
        "sd_text": "" if s.sd is None else number(s.sd, style, digits),
        "ci_text": ci,
        "note": (f"{s.n}/{total} shorted" if s.n else "no short") if shorted else f"n = {s.n}",
        "excluded": len(g.implausible),
        "excluded_title": _listed(
            [f"{c}: {r}" for c, r in g.implausible[: NAMED + 1]], "; ", len(g.implausible)
        ),
        "accepted": len(g.accepted),
        "accepted_title": _listed(g.accepted[: NAMED + 1], ", ", len(g.accepted)),
        "outliers": g.outliers[:NAMED],
        "more_outliers": max(0, len(g.outliers) - NAMED),
    }


def _listed(items: list[str], sep: str, total: int) -> str:
    """At most :data:`NAMED` items joined, and how many more."""
    text = sep.join(items[:NAMED])
    return text + (f" and {total - NAMED} more" if total > NAMED else "")


def replicate_table(
    stats: StudyStatistics,
) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """Columns and rows: per group and metric, mean ± sd, n and the 95 % CI, the values left
    out as implausible and the outlier cells."""
    rct = [s for s in stats.metrics if s.key.startswith("rct_")]
    common = stats.metric(COMMON_CE)
    at = [(COMMON_CE, common.label, "pct")] if common is not None else []
    columns = [
        *TABLE_METRICS[:3],
        *at,
        *TABLE_METRICS[3:],
        *((s.key, f"{s.label} (Ω cm²)", "num") for s in rct),
    ]
    rows = []
    cells_of = stats.cells
    for group in stats.groups:
        rows.append(
            {
                "group": group,
                "cells": cells_of.get(group, []),
                "values": [_cell(stats, group, key, style) for key, _, style in columns],
            }
        )
    return [(k, lbl) for k, lbl, _ in columns], rows


def _p(p: float | None) -> str:
    if p is None:
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _f(x: float | None, fmt: str = ".2f") -> str:
    return "—" if x is None else format(x, fmt)


def comparison_rows(stats: StudyStatistics) -> list[dict[str, Any]]:
    """One row per metric and pair of groups: difference, Welch's t (df, p, Holm-adjusted p),
    Hedges' g, Mann-Whitney U (p, adjusted p), rank-biserial r."""
    styles = {k: s for k, _, s in TABLE_METRICS}
    rows = []
    for metric in stats.metrics:
        style = styles.get(metric.key, "num")
        for c in metric.comparisons:
            if c.n_a == 0 or c.n_b == 0:
                continue
            digits = decimals(abs(c.mean_difference or 0) or None, style)
            unit = " %" if style.startswith("pct") else ""
            rows.append(
                {
                    "metric": metric.key,
                    "label": metric.label,
                    "a": c.group_a,
                    "b": c.group_b,
                    "n": f"{c.n_a} vs {c.n_b}",
                    "difference": number(c.mean_difference, style, digits) + unit,
                    "welch": "—"
                    if c.welch_t is None
                    else f"t = {c.welch_t:.2f}, df = {c.welch_df:.1f}",
                    "welch_p": _p(c.welch_p),
                    "welch_p_adjusted": _p(c.welch_p_adjusted),
                    "hedges_g": _f(c.hedges_g),
                    "u": _f(c.mann_whitney_u, "g"),
                    "mw_p": _p(c.mann_whitney_p),
                    "mw_p_adjusted": _p(c.mann_whitney_p_adjusted),
                    "rank_biserial": _f(c.rank_biserial),
                    "significant": c.welch_p_adjusted is not None and c.welch_p_adjusted < 0.05,
                }
            )
    return rows


def survival_rows(stats: StudyStatistics) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per group: cells, shorts, censored, median cycles to short, the last survival
    fraction; and the pairwise log-rank tests."""
    groups = []
    for group, km in stats.survival.items():
        groups.append(
            {
                "group": group,
                "n": km.n,
                "shorts": km.n_events,
                "censored": km.n - km.n_events,
                "median": "not reached" if km.median is None else f"{km.median:.0f}",
                "last": f"{km.survival[-1] * 100:.0f} % at {km.times[-1]:.0f} cycles"
                if km.times
                else "—",
            }
        )
    tests = [
        {
            "a": t.group_a,
            "b": t.group_b,
            "chi_square": _f(t.chi_square),
            "p": _p(t.p),
            "p_adjusted": _p(t.p_adjusted),
        }
        for t in stats.logrank
    ]
    return groups, tests
