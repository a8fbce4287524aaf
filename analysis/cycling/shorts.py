"""Short-circuit detection: which cycle, by which rule, on what evidence.

Rules (thresholds in :class:`~analysis.cycling.parameters.CyclingParameters`):

``soft_short_ce``
    CE above ``1 + ce_short_tolerance``. A (soft) short passes current electronically, so the
    second half-cycle runs on (the cut-off is reached late or never) and more charge is counted
    out than was stored: CE > 1 cannot come from Li inventory.
``cutoff_not_reached``
    A positive-current half-cycle (stripping for a half cell, charge for a full cell) that
    ended without reaching its voltage cut-off, or that is still below it after
    ``cutoff_time_factor`` times the usual duration. Across a short the voltage cannot build
    up, and the step ends on its time or capacity limit instead.
``sudden_voltage_drop``
    Between two consecutive constant-current rows of a positive-current half-cycle the voltage
    falls by more than ``sudden_drop_V``: under a constant charging current the voltage does
    not fall unless a short opens a parallel path (the classic dendrite short).
``voltage_collapse``
    A half-cycle spends at least ``collapse_min_fraction`` of its constant-current time with
    ``|V|`` below ``collapse_voltage_V``: a half cell with a Li bridge between the electrode
    and the Li counter electrode shows ~0 V whatever the current.
``voltage_noise``
    The constant-current voltage noise of a half-cycle (RMS second difference / sqrt(6), which
    is the standard deviation for white noise on a smooth curve) exceeds ``noise_floor_V`` and
    ``noise_factor`` times the baseline: the median noise of the earlier half-cycles of the
    same kind among the first ``noise_baseline_cycles`` cycles: intermittent micro-shorts make the voltage flicker
    before a hard short. The baseline makes the rule relative to the cell's own noise and
    sampling, so it cannot fire on the cycles that define it unless they are noisy themselves.

The short-circuit cycle is the earliest cycle on which any enabled rule fires; the cycle life is
the cycle before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.cycling.halfcycles import HalfCycles
from analysis.cycling.parameters import CellType, CyclingParameters
from analysis.cycling.segmentation import BoolArray, FloatArray, Segmentation


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


@dataclass(frozen=True)
class Cutoffs:
    """Voltage limits of the positive- and negative-current half-cycles (V), when known."""

    upper_V: float | None
    lower_V: float | None
    reached: BoolArray
    notes: tuple[str, ...]


def half_cycle_name(direction: int, cell_type: CellType) -> str:
    if cell_type == "half":
        return "stripping" if direction > 0 else "plating"
    return "charge" if direction > 0 else "discharge"


def _infer_cutoff(extremes: FloatArray, tol: float, upper: bool) -> float | None:
    """The protocol's cut-off: the cluster (within ``tol``) at the highest (``upper``) or
    lowest extreme voltage, when at least two half-cycles reached it."""
    values = extremes[np.isfinite(extremes)]
    if values.size < 2:
        return float(values[0]) if values.size == 1 else None
    top = float(values.max()) if upper else float(values.min())
    cluster = values[np.abs(values - top) <= tol]
    if cluster.size < 2:
        return None
    return float(np.median(cluster))


def find_cutoffs(seg: Segmentation, hc: HalfCycles, params: CyclingParameters) -> Cutoffs:
    """Infer the cut-offs from half-cycles that were followed by another one (they ended by
    the protocol, not by the end of the file), and say for each half-cycle whether it reached
    its cut-off (``True`` when the cut-off is unknown)."""
    n = seg.direction.size
    followed = np.arange(n) < n - 1
    pos = seg.direction > 0
    notes: list[str] = []
    upper = params.upper_cutoff_V
    if upper is None:
        upper = _infer_cutoff(hc.max_voltage_V[pos & followed], params.cutoff_tolerance_V, True)
        if upper is None and np.any(pos & followed):
            notes.append(
                "no two positive-current half-cycles reach the same highest voltage; the "
                "cut-off rule needs upper_cutoff_V"
            )
    lower = params.lower_cutoff_V
    if lower is None:
        lower = _infer_cutoff(hc.min_voltage_V[~pos & followed], params.cutoff_tolerance_V, False)
    tol = params.cutoff_tolerance_V
    reached = np.ones(n, dtype=bool)
    if upper is not None:
        reached[pos] = hc.max_voltage_V[pos] >= upper - tol
    if lower is not None:
        reached[~pos] = hc.min_voltage_V[~pos] <= lower + tol
    return Cutoffs(upper_V=upper, lower_V=lower, reached=reached, notes=tuple(notes))


def detect_short_circuits(
    *,
    cell_type: CellType,
    seg: Segmentation,
    hc: HalfCycles,
    cutoffs: Cutoffs,
    voltage_V: FloatArray,
    time_s: FloatArray,
    cycle_ce: Mapping[int, float],
    params: CyclingParameters,
) -> tuple[ShortCircuitEvent, ...]:
    """Every firing of every enabled rule, at most one per rule and cycle, by cycle."""
    rules = set(params.short_circuit_rules)
    events: list[ShortCircuitEvent] = []
    counted = seg.cycle >= 1
    name = np.array([half_cycle_name(int(d), cell_type) for d in (-1, 1)])
    kind = name[(seg.direction > 0).astype(int)] if seg.direction.size else name[:0]

    if "soft_short_ce" in rules:
        limit = 1.0 + params.ce_short_tolerance
        for cycle, ce in cycle_ce.items():
            if np.isfinite(ce) and ce > limit:
                events.append(
                    ShortCircuitEvent(
                        cycle,
                        "soft_short_ce",
                        half_cycle_name(1 if cell_type == "half" else -1, cell_type),
                        f"CE {ce:.4f} > 1 + {params.ce_short_tolerance:g}",
                        {"coulombic_efficiency": ce, "limit": limit},
                    )
                )

    if "cutoff_not_reached" in rules and cutoffs.upper_V is not None:
        n = seg.direction.size
        pos = seg.direction > 0
        ok = pos & cutoffs.reached
        usual = float(np.median(hc.active_time_s[ok])) if np.any(ok) else np.inf
        followed = np.arange(n) < n - 1
        overdue = hc.active_time_s >= params.cutoff_time_factor * usual
        fire = pos & ~cutoffs.reached & (followed | overdue) & counted
        for i in np.flatnonzero(fire):
            events.append(
                ShortCircuitEvent(
                    int(seg.cycle[i]),
                    "cutoff_not_reached",
                    str(kind[i]),
                    f"reached {hc.max_voltage_V[i]:.4f} V, not the cut-off "
                    f"{cutoffs.upper_V:.4f} V (tolerance {params.cutoff_tolerance_V:g} V), "
                    f"after {hc.active_time_s[i] / 3600:.3g} h (usual {usual / 3600:.3g} h)",
                    {
                        "max_voltage_V": float(hc.max_voltage_V[i]),
                        "cutoff_V": float(cutoffs.upper_V),
                        "duration_h": float(hc.active_time_s[i] / 3600),
                        "usual_duration_h": usual / 3600,
                    },
                )
            )

    cc = hc.cc_rows
    if "sudden_voltage_drop" in rules and np.isfinite(params.sudden_drop_V or np.inf):
        drop_limit = float(params.sudden_drop_V or np.inf)
        dv = np.diff(voltage_V)
        # Candidates first (few), then the conditions on the pair of rows.
        hits = np.flatnonzero(dv < -drop_limit)
        label = seg.labels_of(hits)
        pair = cc[hits] & cc[hits + 1] & (label == seg.labels_of(hits + 1)) & (label >= 0)
        hits, label = hits[pair], label[pair]
        if hits.size:
            keep = (seg.direction[label] > 0) & counted[label]
            hits, label = hits[keep], label[keep]
            # The first hit of each half-cycle is the evidence.
            _, first = np.unique(label, return_index=True)
            for row, k in zip(hits[first].tolist(), label[first].tolist(), strict=True):
                events.append(
                    ShortCircuitEvent(
                        int(seg.cycle[k]),
                        "sudden_voltage_drop",
                        str(kind[k]),
                        f"voltage fell {-dv[row] * 1000:.1f} mV ({voltage_V[row]:.4f} -> "
                        f"{voltage_V[row + 1]:.4f} V) at {time_s[row + 1]:.0f} s "
                        f"(row {row + 2}) under constant current",
                        {
                            "drop_V": float(-dv[row]),
                            "time_s": float(time_s[row + 1]),
                            "limit_V": drop_limit,
                        },
                    )
                )

    w = seg.weight_s
    if "voltage_collapse" in rules and (params.collapse_voltage_V or 0.0) > 0:
        cc_w = w * cc
        low = np.abs(voltage_V)
        low_w = np.multiply(cc_w, low < float(params.collapse_voltage_V or 0.0), out=low)
        with np.errstate(invalid="ignore", divide="ignore"):
            fraction = np.add.reduceat(low_w, seg.starts) / np.add.reduceat(cc_w, seg.starts)
        for i in np.flatnonzero((fraction >= params.collapse_min_fraction) & counted):
            events.append(
                ShortCircuitEvent(
                    int(seg.cycle[i]),
                    "voltage_collapse",
                    str(kind[i]),
                    f"|V| < {float(params.collapse_voltage_V or 0) * 1000:g} mV for "
                    f"{fraction[i]:.0%} of the constant-current time",
                    {"fraction": float(fraction[i])},
                )
            )

    if "voltage_noise" in rules and np.isfinite(params.noise_factor):
        noise = _noise(voltage_V, cc & hc.body_rows, seg)
        floor = float(params.noise_floor_V or 0.0)
        n_base = params.noise_baseline_cycles
        for direction in (-1, 1):
            mine = np.flatnonzero((seg.direction == direction) & counted)
            if mine.size < 2:
                continue
            values = noise[mine]
            # Baseline of the k-th half-cycle of a kind: the median of the earlier ones among
            # the first ``noise_baseline_cycles`` (the first has no baseline and never fires).
            early = values[:n_base]
            baselines = np.array(
                [
                    np.nanmedian(early[:j]) if np.any(np.isfinite(early[:j])) else np.nan
                    for j in range(1, n_base + 1)
                ]
            )
            index = np.minimum(np.arange(values.size), n_base) - 1
            baseline: FloatArray = np.where(index >= 0, baselines[np.maximum(index, 0)], np.nan)
            noise_limit: FloatArray = np.maximum(floor, params.noise_factor * baseline)
            for j in np.flatnonzero(values > noise_limit).tolist():
                k = int(mine[j])
                events.append(
                    ShortCircuitEvent(
                        int(seg.cycle[k]),
                        "voltage_noise",
                        str(kind[k]),
                        f"voltage noise {noise[k] * 1000:.2f} mV > {noise_limit[j] * 1000:.2f} mV "
                        f"(baseline {baseline[j] * 1000:.3f} mV)",
                        {
                            "noise_V": float(noise[k]),
                            "baseline_V": float(baseline[j]),
                            "limit_V": float(noise_limit[j]),
                        },
                    )
                )

    events.sort(key=lambda e: (e.cycle, params.short_circuit_rules.index(e.rule)))
    return tuple(events)


def _noise(voltage_V: FloatArray, cc: BoolArray, seg: Segmentation) -> FloatArray:
    """RMS second difference / sqrt(6) over consecutive constant-current rows, per half-cycle
    (NaN for fewer than 10 such triples)."""
    n_hc = seg.starts.size
    if voltage_V.size < 3 or n_hc == 0:
        return np.full(n_hc, np.nan)
    d2 = np.multiply(voltage_V[1:-1], 2.0)
    np.subtract(voltage_V[2:], d2, out=d2)
    d2 += voltage_V[:-2]
    # Triple j is rows j..j+2: all three at constant current (so inside half-cycles) and in
    # the same one (not the two triples before each half-cycle's first row).
    ok = cc[2:] & cc[1:-1]
    ok &= cc[:-2]
    for back in (1, 2):
        crossing = seg.starts[1:] - back
        ok[crossing[(crossing >= 0) & (crossing < ok.size)]] = False
    d2 *= d2
    d2 *= ok
    # Half-cycle i holds the triples that start on its rows (ok: they also end there).
    inside = int(np.searchsorted(seg.starts, d2.size))
    sums = np.zeros(n_hc)
    counts = np.zeros(n_hc, dtype=np.int64)
    if inside:
        sums[:inside] = np.add.reduceat(d2, seg.starts[:inside])
        counts[:inside] = np.add.reduceat(ok, seg.starts[:inside], dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        result: FloatArray = np.sqrt(sums / counts / 6.0)
    result[counts < 10] = np.nan
    return result
