"""Scoring a short-circuit detection against the generated truth, and the confusion matrix.

A detection is compared in protocol cycles, whatever the analysis' own cycle numbering: the
reported cycle's start time (the analysis' per-cycle table) is mapped to the protocol cycle the
cell was in then (:meth:`CellTruth.protocol_cycle_at`; the start, not the middle, since an
analysis may merge everything after a hard short into one long cycle). Outcomes:

- healthy cell: ``true_negative`` or ``false_positive``;
- shorted cell: ``at_onset`` (detected at onset - 1 to onset + 3), ``late`` (after that),
  ``early`` (before onset - 1: a false alarm on the healthy part) or ``missed``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.simulate.cells.spec import CellTruth

#: detection window around the onset, protocol cycles (issue 13: -1..+3)
EARLY_CYCLES, LATE_CYCLES = 1, 3


@dataclass(frozen=True)
class Score:
    """One cell's outcome (see the module docstring)."""

    name: str
    cell_type: str
    short_kind: str | None
    outcome: str
    reported_cycle: int | None
    detected_protocol_cycle: int | None
    delay_cycles: int | None
    rules: tuple[str, ...]
    options: tuple[str, ...]
    #: the analysis failed on the cell (counted apart: neither a detection nor a miss)
    error: str | None = None


def detected_protocol_cycle(
    truth: CellTruth, reported: int | None, cycles: pd.DataFrame | None
) -> int | None:
    """The protocol cycle of the analysis' reported short cycle (None: no short reported)."""
    if reported is None:
        return None
    if cycles is not None and {"cycle", "start_time_s"} <= set(cycles.columns):
        rows = cycles[cycles["cycle"] == reported]
        if len(rows):
            start = float(rows["start_time_s"].iloc[0])
            if np.isfinite(start):
                return truth.protocol_cycle_at(start + 1.0)
    return int(reported)


def score(
    name: str,
    truth: CellTruth,
    summary: Mapping[str, Any],
    cycles: pd.DataFrame | None,
    error: str | None = None,
) -> Score:
    """Score one analysis (the cycling pipeline's ``summary`` and per-cycle table); ``error``:
    the analysis raised this instead."""
    metrics = summary.get("metrics") or {}
    reported = metrics.get("short_circuit_cycle")
    reported = None if reported is None else int(reported)
    events = summary.get("short_circuits") or []
    rules = tuple(sorted({str(e.get("rule")) for e in events if e.get("cycle") == reported}))
    found = detected_protocol_cycle(truth, reported, cycles)
    delay = None
    if error is not None:
        outcome = "error"
    elif truth.short_onset is None:
        outcome = "false_positive" if found is not None else "true_negative"
    elif found is None:
        outcome = "missed"
    else:
        delay = found - truth.short_onset
        if delay < -EARLY_CYCLES:
            outcome = "early"
        elif delay > LATE_CYCLES:
            outcome = "late"
        else:
            outcome = "at_onset"
    return Score(
        name=name,
        cell_type=truth.cell_type,
        short_kind=truth.short_kind,
        outcome=outcome,
        reported_cycle=reported,
        detected_protocol_cycle=found,
        delay_cycles=delay,
        rules=rules,
        options=truth.options,
        error=error,
    )


@dataclass
class Confusion:
    """Counts over many scores: overall, per cell type and short kind, per realism option and
    per rule, with the detection delays."""

    scores: list[Score] = field(default_factory=list)

    def add(self, scores: Iterable[Score]) -> None:
        self.scores.extend(scores)

    @property
    def healthy(self) -> list[Score]:
        return [s for s in self.scores if s.short_kind is None]

    @property
    def shorted(self) -> list[Score]:
        return [s for s in self.scores if s.short_kind is not None]

    def false_positive_rate(self) -> float:
        h = self.healthy
        return sum(s.outcome == "false_positive" for s in h) / len(h) if h else 0.0

    def at_onset_rate(self) -> float:
        sh = self.shorted
        return sum(s.outcome == "at_onset" for s in sh) / len(sh) if sh else 1.0

    def delays(self) -> Counter[int]:
        return Counter(s.delay_cycles for s in self.shorted if s.delay_cycles is not None)

    def lines(self) -> list[str]:
        """The confusion matrix and its breakdowns as printable lines."""
        out = ["group                      n  flagged/found  outcome counts"]
        groups: dict[str, list[Score]] = defaultdict(list)
        for s in self.scores:
            groups[f"{s.cell_type} {s.short_kind or 'healthy'}"].append(s)
        for key in sorted(groups):
            out.append(_row(key, groups[key]))
        out.append("")
        out.append(
            f"healthy flagged: {self.false_positive_rate():.1%} of {len(self.healthy)}; "
            f"shorts found at onset (-{EARLY_CYCLES}..+{LATE_CYCLES}): "
            f"{self.at_onset_rate():.1%} of {len(self.shorted)}"
        )
        errors = [s for s in self.scores if s.error is not None]
        if errors:
            out.append(f"analysis errors: {len(errors)} (first: {errors[0].error})")
        delays = sorted(self.delays().items())
        out.append(
            "detection delay (protocol cycles: count): "
            + ", ".join(f"{d:+d}: {n}" for d, n in delays)
        )
        out.append("")
        out.append("per realism option            healthy flagged      shorts at onset")
        options = sorted({o for s in self.scores for o in s.options})
        for option in options:
            with_it = [s for s in self.scores if option in s.options]
            out.append(_option_row(option, with_it))
        out.append(_option_row("(no option)", [s for s in self.scores if not s.options]))
        out.append("")
        out.append("per rule (first detection)     on healthy   early   at onset   late")
        rules: dict[str, Counter[str]] = defaultdict(Counter)
        for s in self.scores:
            for rule in s.rules:
                rules[rule][s.outcome] += 1
        for rule in sorted(rules):
            c = rules[rule]
            out.append(
                f"  {rule:<28} {c['false_positive']:>10} {c['early']:>7} {c['at_onset']:>10}"
                f" {c['late']:>6}"
            )
        return out


def _row(key: str, scores: Sequence[Score]) -> str:
    counts = Counter(s.outcome for s in scores)
    hits = counts["false_positive"] if key.endswith("healthy") else counts["at_onset"]
    text = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    return f"  {key:<22} {len(scores):>4}  {hits:>5}          {text}"


def _option_row(option: str, scores: Sequence[Score]) -> str:
    healthy = [s for s in scores if s.short_kind is None]
    shorted = [s for s in scores if s.short_kind is not None]
    fp = sum(s.outcome == "false_positive" for s in healthy)
    hit = sum(s.outcome == "at_onset" for s in shorted)
    return f"  {option:<28} {fp:>4} / {len(healthy):<4}         {hit:>4} / {len(shorted):<4}"
