"""CV peaks followed from cycle to cycle: the shift of each wave's potential and the change of
its current as the electrode cycles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import pandas as pd


class _Peak(Protocol):
    @property
    def direction(self) -> str: ...
    @property
    def potential_V(self) -> float: ...
    @property
    def current_mA(self) -> float: ...
    @property
    def charge_mC(self) -> float | None: ...
    @property
    def sweep(self) -> int: ...
    @property
    def cycle(self) -> int | None: ...


TRACK_COLUMNS = (
    "track",
    "direction",
    "sweep",
    "cycle",
    "potential_V",
    "current_mA",
    "charge_mC",
    "shift_V",
    "current_ratio",
)


def track_peaks(peaks: Sequence[_Peak], *, window_V: float = 0.05) -> pd.DataFrame:
    """One row per peak with the track it belongs to.

    Rule: peaks are taken sweep by sweep; a peak joins the track of the same direction whose
    latest peak is nearest in potential, within ``window_V`` (default 50 mV) and not yet
    joined in this sweep (nearest pairs first); otherwise it starts a new track. ``shift_V``:
    potential minus the track's first potential; ``current_ratio``: current over the track's
    first current. Tracks are numbered from 1 in order of appearance. Units: V, mA, mC.
    """
    rows: list[dict[str, Any]] = []
    tracks: list[dict[str, Any]] = []  # direction, last potential, first potential, first current
    by_sweep: dict[int, list[_Peak]] = {}
    for p in peaks:
        by_sweep.setdefault(p.sweep, []).append(p)
    for sweep in sorted(by_sweep):
        group = by_sweep[sweep]
        pairs = sorted(
            (abs(p.potential_V - tr["last"]), i, k)
            for i, p in enumerate(group)
            for k, tr in enumerate(tracks)
            if tr["direction"] == p.direction and abs(p.potential_V - tr["last"]) <= window_V
        )
        joined: dict[int, int] = {}
        used: set[int] = set()
        for _, i, k in pairs:
            if i not in joined and k not in used:
                joined[i] = k
                used.add(k)
        for i, p in enumerate(group):
            if i not in joined:
                tracks.append(
                    {"direction": p.direction, "first": p.potential_V, "current": p.current_mA}
                )
                joined[i] = len(tracks) - 1
            tr = tracks[joined[i]]
            tr["last"] = p.potential_V
            rows.append(
                {
                    "track": joined[i] + 1,
                    "direction": p.direction,
                    "sweep": p.sweep,
                    "cycle": p.cycle,
                    "potential_V": p.potential_V,
                    "current_mA": p.current_mA,
                    "charge_mC": p.charge_mC,
                    "shift_V": p.potential_V - tr["first"],
                    "current_ratio": p.current_mA / tr["current"] if tr["current"] else None,
                }
            )
    return pd.DataFrame(rows, columns=list(TRACK_COLUMNS))
