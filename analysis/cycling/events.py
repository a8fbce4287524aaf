"""A short-circuit rule's finding (:class:`ShortCircuitEvent`) and the helpers every rule uses
to make one (:func:`event`) and to find where a run of firing cycles starts (:func:`onsets`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.cycling.segmentation import BoolArray


@dataclass(frozen=True)
class ShortCircuitEvent:
    """One rule firing on one cycle. ``evidence`` says it in words, ``values`` in numbers."""

    cycle: int
    rule: str
    half_cycle: str
    evidence: str
    values: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cycle": self.cycle,
            "rule": self.rule,
            "half_cycle": self.half_cycle,
            "evidence": self.evidence,
            "values": dict(self.values),
        }


def event(
    cycle: int, rule: str, half_cycle: str, evidence: str, **values: float
) -> ShortCircuitEvent:
    return ShortCircuitEvent(
        cycle, rule, half_cycle, evidence, {k: float(v) for k, v in values.items()}
    )


def onsets(fired: BoolArray) -> list[int]:
    """Indices where a run of ``True`` starts."""
    before = np.concatenate(([False], fired[:-1]))
    return np.flatnonzero(fired & ~before).tolist()
