"""Per-half-cycle quantities: capacity, energy, voltages, overpotentials, current, duration.

Capacity of a half-cycle (Ah) is its net charge in its own direction. From the vendor's
counters when the table has them (``charging_capacity_ah``/``discharging_capacity_ah``,
cumulative within the step: the instrument integrates at a much higher rate than it logs),
else by the trapezoidal rule on the logged current. Counters are summed as increments: at a
step boundary or wherever a counter goes down (a reset) the increment is the counter's own
value, counted from zero. Energy likewise from ``charging_energy_wh``/``discharging_energy_wh``
or the trapezoidal rule on ``V * I``. All sums are ``np.add.reduceat`` over the half-cycles'
contiguous row ranges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.cycling.parameters import CyclingParameters
from analysis.cycling.segmentation import BoolArray, FloatArray, Segmentation


@dataclass(frozen=True)
class HalfCycles:
    """Arrays with one value per half-cycle (SI units: s, Ah, Wh, V, A)."""

    start_time_s: FloatArray
    end_time_s: FloatArray
    active_time_s: FloatArray
    capacity_Ah: FloatArray
    integrated_capacity_Ah: FloatArray
    energy_Wh: FloatArray
    mean_voltage_V: FloatArray
    overpotential_mean_V: FloatArray
    overpotential_peak_V: FloatArray
    max_voltage_V: FloatArray
    min_voltage_V: FloatArray
    current_A: FloatArray
    capacity_source: str
    energy_source: str
    cc_rows: BoolArray
    body_rows: BoolArray


def counter_increments(values: FloatArray, step_start: BoolArray) -> FloatArray:
    """Per-row increments of a counter cumulative within the step (same unit as the counter).

    At a step start, or where the counter falls (it was reset), the increment is the counter's
    value itself: the counter restarted from zero. A counter that never falls at the step
    starts where it was non-zero is cumulative over the test (a reader that did not convert
    it): then step starts are not restarts.
    """
    inc = np.empty_like(values)
    inc[0] = values[0]
    np.subtract(values[1:], values[:-1], out=inc[1:])
    boundary = np.flatnonzero(step_start[1:]) + 1
    carried = boundary[values[boundary - 1] > 0]
    if carried.size >= 2 and np.all(inc[carried] >= 0):
        boundary = boundary[:0]
    restart = np.flatnonzero(inc < 0)
    inc[restart] = values[restart]
    inc[boundary] = values[boundary]
    return inc


def _step_starts(table: pd.DataFrame) -> BoolArray:
    n = len(table)
    for column in ("step_count", "step_index"):
        if column in table.columns:
            values = table[column].to_numpy(dtype=np.float64, na_value=np.nan)
            starts = np.zeros(n, dtype=bool)
            starts[1:] = values[1:] != values[:-1]
            return starts
    return np.zeros(n, dtype=bool)


def _counter_pair(
    table: pd.DataFrame, charge: str, discharge: str
) -> tuple[FloatArray, FloatArray] | None:
    if charge not in table.columns or discharge not in table.columns:
        return None
    a = table[charge].to_numpy(dtype=np.float64, na_value=np.nan)
    b = table[discharge].to_numpy(dtype=np.float64, na_value=np.nan)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return None
    return a, b


def _per_half_cycle_sum(values: FloatArray, seg: Segmentation) -> FloatArray:
    if not seg.starts.size:
        return np.zeros(0)
    out: FloatArray = np.add.reduceat(values, seg.starts)
    return out


def compute_half_cycles(
    table: pd.DataFrame,
    time_s: FloatArray,
    voltage_V: FloatArray,
    current_A: FloatArray,
    seg: Segmentation,
    params: CyclingParameters,
    warnings: list[str],
) -> HalfCycles:
    """All per-half-cycle quantities; appends to ``warnings`` what the user should know."""
    w = seg.weight_s
    direction = seg.direction.astype(np.float64)
    lengths = seg.stops - seg.starts
    row_dir = _row_direction(seg, len(time_s))

    charge_As = current_A * w
    integrated = direction * _per_half_cycle_sum(charge_As, seg) / 3600.0
    step_start = _step_starts(table)

    capacity = integrated
    capacity_source = "integrated_current"
    counters = _counter_pair(table, "charging_capacity_ah", "discharging_capacity_ah")
    if params.capacity_source == "counters" and counters is None:
        raise ValueError(
            "capacity_source='counters' but the table has no complete charging_capacity_ah "
            "and discharging_capacity_ah columns"
        )
    if counters is not None and params.capacity_source != "integration":
        net = counter_increments(counters[0], step_start) - counter_increments(
            counters[1], step_start
        )
        capacity = direction * _per_half_cycle_sum(net, seg)
        capacity_source = "vendor_counters"
        scale = np.maximum(np.abs(integrated), 1e-15)
        off = np.abs(capacity - integrated) / scale
        big = (off > params.counter_mismatch_tolerance) & (np.abs(integrated) > 0)
        if np.count_nonzero(big) > max(1, lengths.size // 10):
            warnings.append(
                f"the vendor's capacity counters differ from the integrated current by more than "
                f"{params.counter_mismatch_tolerance:.0%} in {int(np.count_nonzero(big))} of "
                f"{lengths.size} half-cycles (median difference {float(np.median(off)):.1%}); "
                "capacities use the counters"
            )

    power_Ws = voltage_V * charge_As
    energy = direction * _per_half_cycle_sum(power_Ws, seg) / 3600.0
    energy_source = "integrated_power"
    e_counters = _counter_pair(table, "charging_energy_wh", "discharging_energy_wh")
    if e_counters is not None and params.capacity_source != "integration":
        net_e = counter_increments(e_counters[0], step_start) - counter_increments(
            e_counters[1], step_start
        )
        energy = direction * _per_half_cycle_sum(net_e, seg)
        energy_source = "vendor_counters"

    abs_q = np.abs(charge_As)
    q_total = _per_half_cycle_sum(abs_q, seg)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_voltage = _per_half_cycle_sum(voltage_V * abs_q, seg) / q_total

    # Overpotential: |V| over the half-cycle, without its last part by charge (the rise to the
    # cut-off). Cumulative charge within the half-cycle from one global cumulative sum.
    cum = np.cumsum(abs_q)
    before = cum[seg.starts] - abs_q[seg.starts]
    within = cum - _per_row(before, seg, len(time_s), np.inf)
    limit = (1.0 - params.overpotential_tail_fraction) * _per_row(q_total, seg, len(time_s), 0.0)
    head = seg.active & (within <= limit)
    abs_v = np.abs(voltage_V)
    head_w = np.where(head, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        op_mean = _per_half_cycle_sum(abs_v * head_w, seg) / _per_half_cycle_sum(head_w, seg)
    op_peak = _reduce(np.maximum, np.where(head, abs_v, -np.inf), seg)

    v_max = _reduce(np.maximum, np.where(seg.active, voltage_V, -np.inf), seg)
    v_min = _reduce(np.minimum, np.where(seg.active, voltage_V, np.inf), seg)
    active_time = _per_half_cycle_sum(np.where(seg.active, w, 0.0), seg)

    # The constant-current level of a half-cycle: the median |I| of its current-carrying rows.
    rows = seg.active & (seg.label >= 0)
    abs_i = np.abs(current_A)
    level = _group_median(abs_i[rows], seg.label[rows], lengths.size)
    level_row = _per_row(level, seg, len(time_s), np.nan)
    cc_rows = rows & (np.abs(abs_i - level_row) <= params.cc_current_tolerance * level_row)
    cc_rows &= np.sign(current_A) == row_dir

    end_rows = seg.stops - 1
    return HalfCycles(
        start_time_s=time_s[seg.starts],
        end_time_s=time_s[end_rows] if seg.starts.size else np.zeros(0),
        active_time_s=active_time,
        capacity_Ah=capacity,
        integrated_capacity_Ah=integrated,
        energy_Wh=energy,
        mean_voltage_V=mean_voltage,
        overpotential_mean_V=op_mean,
        overpotential_peak_V=op_peak,
        max_voltage_V=v_max,
        min_voltage_V=v_min,
        current_A=level,
        capacity_source=capacity_source,
        energy_source=energy_source,
        cc_rows=cc_rows,
        body_rows=head,
    )


#: Above this many half-cycles the per-group median is left to pandas' groupby (one pass in C)
#: rather than a Python loop over the groups.
_LOOP_MEDIAN_MAX_GROUPS = 4000


def _group_median(values: FloatArray, labels: npt.NDArray[np.int64], n_groups: int) -> FloatArray:
    """The median of ``values`` in each group ``0..n_groups-1`` (NaN for an empty group), as
    pandas' ``groupby(labels).median()`` gives it: the middle value, or the mean of the two
    middle values. ``labels`` are non-decreasing (half-cycles are contiguous), so each group
    is one slice, selected with ``np.partition`` rather than sorted."""
    if n_groups > _LOOP_MEDIAN_MAX_GROUPS:
        median = pd.Series(values).groupby(labels).median().reindex(range(n_groups))
        return median.to_numpy(dtype=np.float64, na_value=np.nan).astype(np.float64)
    counts = np.bincount(labels, minlength=n_groups)
    ends = np.cumsum(counts)
    level = np.full(n_groups, np.nan)
    for g in np.flatnonzero(counts).tolist():
        m = int(counts[g])
        group = values[int(ends[g]) - m : int(ends[g])]
        k = m // 2
        if m % 2:
            level[g] = np.partition(group, k)[k]
        else:
            part = np.partition(group, (k - 1, k))
            level[g] = (part[k] + part[k - 1]) / 2
    return level


def _per_row(values: FloatArray, seg: Segmentation, n: int, fill: float) -> FloatArray:
    """A per-half-cycle array spread over the rows (``fill`` before the first half-cycle)."""
    out = np.full(n, fill)
    if seg.starts.size:
        out[int(seg.starts[0]) :] = np.repeat(values, seg.stops - seg.starts)
    return out


def _row_direction(seg: Segmentation, n: int) -> FloatArray:
    return _per_row(seg.direction.astype(np.float64), seg, n, 0.0)


def _reduce(ufunc: np.ufunc, values: FloatArray, seg: Segmentation) -> FloatArray:
    if not seg.starts.size:
        return np.zeros(0)
    out: FloatArray = ufunc.reduceat(values, seg.starts)
    return np.where(np.isfinite(out), out, np.nan)
