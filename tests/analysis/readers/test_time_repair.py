"""The time checks of :func:`analysis.readers.canonical.finish_cycling` and the wall-clock
seconds of :func:`analysis.readers.generic_csv.date_seconds`, against their plain
formulations (one ``np.diff`` per check), bit for bit, on random tables holding every repair:
isolated glitches, backward jumps, pauses of the test clock and long gaps."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.readers import canonical
from analysis.readers.generic_csv import date_seconds


def _reference_repair_time(
    out: dict[str, Any], notes: list[str], meta: dict[str, Any], gap_limit_s: float
) -> None:
    """The checks as first written: every one on its own ``np.diff`` of the current time."""
    t = out["test_time_second"]
    if len(t) > 2:
        drops = np.flatnonzero(t[1:-1] < t[:-2]) + 1
        glitch = drops[t[drops + 1] >= t[drops - 1]]
        if len(glitch):
            t = t.copy()
            notes.append(f"glitch {int(glitch[0])} {len(glitch)}")
            t[glitch] = t[glitch - 1]
            out["test_time_second"] = t
            meta["time_glitches"] = len(glitch)
    if "unix_time_second" in out and len(t) > 1:
        extra = np.diff(out["unix_time_second"])
        extra -= np.diff(t)
        paused = np.flatnonzero(extra > gap_limit_s)
        if len(paused):
            add = np.zeros(len(t))
            add[paused + 1] = extra[paused]
            t = t + np.cumsum(add)
            out["test_time_second"] = t
            meta["pauses"] = [(int(i), float(extra[i])) for i in paused]
    dt = np.diff(t)
    back = np.flatnonzero(dt < 0)
    if len(back):
        positive = dt[dt > 0]
        typical = float(np.median(positive)) if len(positive) else 1.0
        step = np.full(len(back), typical)
        if "unix_time_second" in out:
            wall = np.diff(out["unix_time_second"])[back]
            step = np.where(wall >= 0, wall, typical)
        jump = np.zeros(len(t))
        jump[back + 1] = -dt[back] + step
        out["test_time_second"] = t + np.cumsum(jump)
        meta["time_resets"] = len(back)
        t = out["test_time_second"]
        dt = np.diff(t)
    gaps = np.flatnonzero(dt > gap_limit_s)
    if len(gaps):
        meta["time_gaps"] = [(int(i), float(t[i]), float(dt[i])) for i in gaps]


def _table(rng: np.random.Generator, n: int, wall: bool) -> dict[str, Any]:
    t = np.cumsum(rng.uniform(0.5, 2.0, n))
    unix = 1.7e9 + t.copy()
    for row in rng.integers(1, n - 1, rng.integers(0, 4)):  # isolated glitches
        t[row] = 0.0
    for row in rng.integers(1, n, rng.integers(0, 3)):  # the clock restarts
        t[row:] -= t[row] - rng.uniform(0, 3)
    for row in rng.integers(1, n, rng.integers(0, 3)):  # paused test clock / long gaps
        unix[row:] += rng.uniform(3000, 9000)
        if rng.random() < 0.5:
            t[row:] += rng.uniform(3000, 9000)
    out = {"test_time_second": t, "voltage_volt": np.ones(n), "current_ampere": np.zeros(n)}
    if wall:
        out["unix_time_second"] = unix
    return out


@pytest.mark.parametrize("seed", range(60))
def test_repair_time_is_the_plain_formulation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.choice([1, 2, 3, 5, 50, 400]))
    table = (
        _table(rng, max(n, 3), bool(seed % 3))
        if n >= 3
        else {
            "test_time_second": rng.uniform(0, 5, n),
            "unix_time_second": rng.uniform(0, 5, n),
        }
    )
    got, want = dict(table), dict(table)
    notes: list[str] = []
    meta: dict[str, Any] = {}
    ref_notes: list[str] = []
    ref_meta: dict[str, Any] = {}
    canonical._repair_time(got, "f.csv", 2, notes, meta, 3600.0)
    _reference_repair_time(want, ref_notes, ref_meta, 3600.0)
    for name in want:
        assert got[name].view(np.int64).tolist() == want[name].view(np.int64).tolist(), name
    assert meta.get("time_glitches") == ref_meta.get("time_glitches")
    assert meta.get("time_resets") == ref_meta.get("time_resets")
    assert [(p["row"] - 3, p["duration_s"]) for p in meta.get("pauses", [])] == ref_meta.get(
        "pauses", []
    )
    assert [(g["row"] - 3, g["start_s"], g["duration_s"]) for g in meta.get("time_gaps", [])] == (
        ref_meta.get("time_gaps", [])
    )
    assert len(notes) == len(ref_notes) + ("time_resets" in meta) + ("time_gaps" in meta) + (
        "pauses" in meta
    )


def test_date_seconds_of_timestamps_is_nanoseconds_over_1e9_with_nat_as_nan() -> None:
    ticks = np.array([0, 1, -1, 1_704_067_200_123_456_789, 2**62, -(2**62)], dtype=np.int64)
    stamps = pd.Series(ticks.view("datetime64[ns]"))
    want = ticks.astype(np.float64)
    want /= 1e9
    assert date_seconds(stamps).view(np.int64).tolist() == want.view(np.int64).tolist()
    with_nat = pd.Series(np.append(ticks, np.iinfo(np.int64).min).view("datetime64[ns]"))
    got = date_seconds(with_nat)
    assert got[:-1].view(np.int64).tolist() == want.view(np.int64).tolist()
    assert np.isnan(got[-1])
    assert date_seconds(pd.Series(np.zeros(0, dtype="datetime64[ns]"))).size == 0
