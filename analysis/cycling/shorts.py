"""Short-circuit detection: which cycle, by which rule, on what evidence.

Every rule is scaled to the cell's own behaviour (its noise, its early plateau, its recent
cycles), needs the signature to persist where the physics allows a healthy cell to recover,
and records the onset cycle, the evidence values and the thresholds used. Thresholds are
parameters (:class:`~analysis.cycling.parameters.CyclingParameters`); which rules apply by
default depends on the cell type (``DEFAULT_RULES``).

``soft_short_ce`` (half cells)
    CE above ``1 + ce_short_tolerance`` in ``ce_short_cycles`` consecutive cycles, with more
    charge stripped than plated over those cycles and the one before them. Stripping more Li
    than was plated needs an electronic path: the stripping current partly flows through the
    short, so the step runs on (Adams et al., Adv. Energy Mater. 2018, 8, 1702097). A single
    CE above 1 after a low one is Li that was trapped coming back, not a short.
``ce_rise`` (half cells)
    The measured CE steps above its steady baseline (the median of the previous
    ``overrun_baseline_cycles + 1`` usable cycles at the same current) by more than
    ``max(ce_rise_min, ce_rise_factor x scatter)`` on two consecutive cycles, both against the
    limit set before the first of them. The scatter is the CE's cycle-to-cycle standard
    deviation: the interquartile range of its successive differences over the previous
    ``ce_scatter_cycles`` cycles at that current / 1.349 / sqrt(2) (differences take out the
    slow drift; 30 cycles, not the 6 of the baseline, so that a few equal CEs do not make the
    cell look steadier than it is), at least the baseline's own MAD scatter and 5e-4. A
    baseline whose least-squares slope exceeds ``ce_trend_z`` standard errors is still moving
    (formation, conditioning) and judges nothing. A filament carries part of the stripping
    current without removing Li, so the counted stripping charge rises while the Li inventory
    does not: soft shorts make CE look higher before it passes 1 (Xiao et al., Nat. Energy
    2020). One high cycle after a low one (trapped Li coming back) does not fire.
``ce_cusum`` (half cells)
    A window-limited one-sided CUSUM (Page, Biometrika 1954, 41, 100) of the CE above the
    cell's own trend: the baseline is the Theil-Sen line (slope >= 0: conditioning may go on,
    a fade is not extrapolated) of the previous ``ce_cusum_baseline_cycles`` usable CEs at the
    current, the scatter as for ``ce_rise``; started at each cycle, the sum of the excesses
    over the line in scatters, each clipped at ``ce_cusum_clip`` and less the reference value
    ``ce_cusum_reference``, must reach the decision interval ``ce_cusum_interval`` within
    ``ce_cusum_window`` consecutive cycles, ``ce_cusum_cycles`` of them above the reference.
    The clip makes one high cycle (trapped Li coming back) unable to fire it alone; the window
    keeps a slow conditioning from accumulating; the onset is the start of the largest sum
    (the CUSUM change-point estimate). The same physics as ``ce_rise`` (Xiao et al. 2020): a
    filament whose resistance falls over a few cycles adds a growing stripping charge, small
    next to one cycle's scatter but persistent.
``ce_excursions`` (half cells)
    Intermittent CE excursions (:mod:`analysis.cycling.ce_excursions`): ``ce_excursion_cycles``
    cycles within ``ce_excursion_window`` consecutive ones whose CE exceeds the ``ce_cusum``
    trend by more than ``ce_excursion_z`` scatters (the scatter at least a trimmed mean of the
    successive CE differences), the first at the window's start, none compensated by the cycle
    before it (low by half the threshold and half its excess: trapped Li coming back). A
    filament that makes contact in some cycles only carries part of the stripping current in
    those (the step runs long, the CE is high) and not in the others: the CE turns erratic
    without a lasting rise (Xiao et al., Nat. Energy 2020; Wood et al., ACS Cent. Sci. 2016),
    which ``ce_rise`` and the clipped ``ce_cusum`` do not see.
``stripping_tail`` (half cells)
    The charge a stripping passes after the midpoint of its rise from the Li plateau to the
    cut-off (the seed layer's de-alloying tail, :mod:`analysis.cycling.stripping_tail`) more
    than ``tail_z`` scatters above its own trend in ``tail_cycles`` cycles within
    ``tail_window``, the first at the window's start. A filament takes ``V / Rs`` of the
    current (Xiao et al., Nat. Energy 2020): a few per cent on the Li plateaus of both
    half-cycles (cancelling in the CE, or making it erratic with intermittent contact), 10-70 %
    near the cut-off, where the electrode then de-alloys slowly and the step runs long. The
    tail is a property of the seed, not of the Li inventory: trapped Li coming back is stripped
    on the plateau and leaves it alone (Fang et al., Nature 2019), so the tail scatters less
    than the CE and grows one-sidedly with a filament.
``cutoff_not_reached``
    A positive-current half-cycle (stripping, or a full cell's charge) that did not reach its
    voltage cut-off and lasted ``cutoff_time_factor`` times the usual duration of those that
    did: across a short the voltage cannot build up and the step runs until its time or
    capacity limit. A step ended early by its protocol is not overdue and does not count. The
    same holds for current carried after the cut-off was last reached: a charge that reached it
    and then went on charging over later steps (rests between them) without getting back to it
    (a full cell shorted in the rest after a charge: the next charges run at ~0 V).
``sudden_voltage_drop``
    Between two consecutive constant-current rows of a positive-current half-cycle (after its
    first 2 % of charge) the voltage falls by more than ``sudden_drop_V`` and
    ``sudden_drop_noise_factor`` times the half-cycle's noise, and stays down (below the level
    before the drop minus half the drop) for the next ``sudden_drop_rows`` rows. Under a
    constant charging current the voltage does not fall unless a short opens a parallel path
    (the classic dendrite short); a one-sample glitch comes back up.
``voltage_collapse`` (half cells)
    The Li plateau overpotential (:mod:`analysis.cycling.plateaus`) of a half-cycle falls below
    ``collapse_ratio`` times the cell's early plateau of that kind and below
    ``max(collapse_voltage_V, 3 x noise)``, on two consecutive half-cycles (or the last): a Li
    bridge puts Li against Li and the voltage is ``I R_short``, near 0 V whatever the current
    (hard short).
``rest_voltage_decay`` (half cells)
    In the rest after a stripping the voltage falls by more than ``rest_decay_factor`` times
    the cell's usual fall over the same time (the baseline of its kind and current) and by at
    least ``max(rest_decay_V, 10 x noise)`` more than it, after two consecutive strippings.
    At open circuit a healthy electrode only relaxes its overpotential (a fall of about
    ``R I`` that settles with the interface's time constant, the same every cycle); a filament
    between the electrodes discharges it: Li flows back through the filament and the
    dealloyed electrode's potential falls towards the Li plateau at a rate ``V / R_short``.
    This is the open-circuit voltage-decay (self-discharge) test that finds micro-shorts in
    cell production, and the rest that often follows a step in a cycling protocol gives it
    for free; soft shorts are otherwise easily overlooked (Menkin et al., Faraday Discuss.
    2023, on soft shorts in Li metal cells).
``voltage_noise``
    The robust voltage noise of a half-cycle exceeds ``noise_floor_V`` and ``noise_factor``
    times the median noise of the earlier half-cycles of its kind among the first
    ``noise_baseline_cycles`` cycles, on two consecutive half-cycles: intermittent
    micro-shorts make the voltage flicker before a hard short (soft short). The baseline makes
    the rule relative to the cell's own noise and sampling.
``charge_overrun`` (full cells)
    A charge carrying at least ``1 + overrun_fraction`` (default: no less than) the median
    charge of the previous ``overrun_baseline_cycles`` cycles at the same current, in a cycle
    whose CE is more than ``overrun_ce_drop`` below their median and whose discharge did not
    grow by half the extra charge, on two consecutive cycles: the short drains part of the
    charging current, so the charge runs (at least as) long and what comes back falls. A
    healthy cell at a constant protocol loses CE slowly; a fall of 2 % in one cycle that
    persists is a new loss path.

The short-circuit cycle is the earliest onset of any enabled rule; the cycle life is the cycle
before it. Each event's ``values`` hold its evidence, its thresholds and
``detected_at_cycle`` (the cycle by which the persistence was confirmed).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from analysis.cycling import reuse
from analysis.cycling.ce_cusum import ce_cusum, ce_trend
from analysis.cycling.ce_excursions import ce_excursions
from analysis.cycling.cutoffs import Cutoffs, half_cycle_name
from analysis.cycling.cycle_rules import CycleView, ce_rise, charge_overrun, soft_short_ce
from analysis.cycling.events import ShortCircuitEvent, event, onsets
from analysis.cycling.groups import (
    group_sums,
    nanmedian_of_few,
    range_rows,
)
from analysis.cycling.halfcycles import HalfCycles
from analysis.cycling.parameters import SHORT_CIRCUIT_RULES, CellType, CyclingParameters
from analysis.cycling.plateaus import Plateaus
from analysis.cycling.rest_drops import rest_drops
from analysis.cycling.segmentation import BoolArray, FloatArray, IntArray, Segmentation
from analysis.cycling.stripping_tail import per_cycle, stripping_tail, tail_charges_mAh


def _baseline(
    values: FloatArray, rows: IntArray, current_A: FloatArray, n_base: int, tolerance: float
) -> FloatArray:
    """For each of ``rows`` (half-cycles of one kind, in order): the median of ``values`` over
    the earlier ones at the same current (within ``tolerance``, relative) among the first
    ``n_base`` at that current. NaN when there is none: a half-cycle at a new current is not
    judged against another rate (noise and plateaus scale with the current and sampling)."""
    out = np.full(rows.size, np.nan)
    if not rows.size:
        return out
    level = np.abs(current_A[rows])
    v = values[rows]
    # Current levels: sorted, a new level wherever the next is beyond the tolerance.
    order = np.argsort(level, kind="stable")
    jumps = np.diff(level[order]) > tolerance * np.maximum(level[order][1:], 1e-30)
    group = np.empty(rows.size, dtype=np.int64)
    group[order] = np.concatenate(([0], np.cumsum(jumps)))
    for g in np.unique(group).tolist():
        members = np.flatnonzero(group == g)  # in time order
        first = v[members[:n_base]]
        # The k-th member's baseline: the median of the members before it (at most n_base).
        listed = first.tolist()
        medians = [np.nan] + [
            nanmedian_of_few(listed[:j]) if np.any(np.isfinite(first[:j])) else np.nan
            for j in range(1, first.size + 1)
        ]
        index = np.minimum(np.arange(members.size), first.size)
        out[members] = np.asarray(medians)[index]
    return out


def detect_short_circuits(
    *,
    cell_type: CellType,
    seg: Segmentation,
    hc: HalfCycles,
    cutoffs: Cutoffs,
    voltage_V: FloatArray,
    time_s: FloatArray,
    cycles: CycleView,
    plateaus: Plateaus,
    regular: BoolArray,
    params: CyclingParameters,
) -> tuple[ShortCircuitEvent, ...]:
    """Every onset of every enabled rule, at most one per rule and cycle, by cycle
    (``regular``: :func:`regular_half_cycles`, computed by the caller)."""
    rules = set(params.short_circuit_rules or ())
    events: list[ShortCircuitEvent] = []
    counted = (seg.cycle >= 1) & ~np.isin(seg.cycle, cycles.excluded)
    name = np.array([half_cycle_name(int(d), cell_type) for d in (-1, 1)])
    kind = name[(seg.direction > 0).astype(int)] if seg.direction.size else name[:0]
    n = seg.direction.size

    if "soft_short_ce" in rules:
        events += soft_short_ce(
            cycles, params, half_cycle_name(1 if cell_type == "half" else -1, cell_type)
        )
    if "ce_rise" in rules:
        events += ce_rise(cycles, params)
    trend = ce_trend(cycles, params) if rules & {"ce_cusum", "ce_excursions"} else None
    if "ce_cusum" in rules:
        events += ce_cusum(cycles, params, trend)
    if "ce_excursions" in rules:
        events += ce_excursions(cycles, params, trend)
    if "charge_overrun" in rules:
        events += charge_overrun(cycles, params)
    if "stripping_tail" in rules and cell_type == "half":
        tails = tail_charges_mAh(
            seg, voltage_V, time_s, plateaus.stripping_overpotential_V, cutoffs.upper_V, counted
        )
        events += stripping_tail(cycles, per_cycle(cycles, seg, tails), params)

    if "cutoff_not_reached" in rules and cutoffs.upper_V is not None:
        pos = seg.direction > 0
        ok = pos & cutoffs.reached
        usual = float(np.median(hc.active_time_s[ok])) if np.any(ok) else np.inf
        limit_s = params.cutoff_time_factor * usual
        after = _time_after_cutoff(seg, voltage_V, cutoffs.upper_V - params.cutoff_tolerance_V)
        overdue = np.where(cutoffs.reached, after, hc.active_time_s) >= limit_s
        for i in np.flatnonzero(pos & overdue & counted).tolist():
            if cutoffs.reached[i]:
                how = (
                    f"reached the cut-off {cutoffs.upper_V:.4f} V, then carried current for "
                    f"{after[i] / 3600:.3g} h more without reaching it again"
                )
            else:
                how = (
                    f"reached {hc.max_voltage_V[i]:.4f} V, not the cut-off "
                    f"{cutoffs.upper_V:.4f} V, after {hc.active_time_s[i] / 3600:.3g} h"
                )
            events.append(
                event(
                    int(seg.cycle[i]),
                    "cutoff_not_reached",
                    str(kind[i]),
                    f"{how} (tolerance {params.cutoff_tolerance_V:g} V; usual "
                    f"{usual / 3600:.3g} h, limit {params.cutoff_time_factor:g}x)",
                    max_voltage_V=hc.max_voltage_V[i],
                    cutoff_V=cutoffs.upper_V,
                    duration_h=hc.active_time_s[i] / 3600,
                    after_cutoff_h=after[i] / 3600,
                    usual_duration_h=usual / 3600,
                    time_factor=params.cutoff_time_factor,
                    detected_at_cycle=seg.cycle[i],
                )
            )

    noise = plateaus.noise_V

    def baseline(values: FloatArray) -> FloatArray:
        """Per half-cycle: the baseline of ``values`` among the regular counted half-cycles of
        its kind (:func:`_baseline`); NaN elsewhere."""
        out = np.full(n, np.nan)
        for direction in (-1, 1):
            mine = np.flatnonzero((seg.direction == direction) & counted & regular)
            if mine.size >= 2:
                out[mine] = _baseline(
                    values,
                    mine,
                    hc.current_A,
                    params.noise_baseline_cycles,
                    params.rate_step_tolerance,
                )
        return out

    if "sudden_voltage_drop" in rules and np.isfinite(params.sudden_drop_V or np.inf):
        # The cell's usual noise: the baseline of its kind where there is one (a drop inside
        # a half-cycle inflates that half-cycle's own estimate), else its own.
        base = baseline(noise)
        usual_noise = np.where(np.isfinite(base), np.fmin(base, noise), noise)
        events += _sudden_drops(seg, hc, voltage_V, time_s, usual_noise, counted, kind, params)

    if "voltage_collapse" in rules and cell_type == "half" and (params.collapse_voltage_V or 0) > 0:
        level = np.where(
            seg.direction < 0, plateaus.plating_overpotential_V, plateaus.stripping_overpotential_V
        )
        baselines = baseline(level)
        near_zero = np.maximum(float(params.collapse_voltage_V or 0), 3.0 * np.nan_to_num(noise))
        limits = np.minimum(params.collapse_ratio * baselines, near_zero)
        collapsed = np.isfinite(limits) & (level < limits)
        fired = collapsed & (np.append(collapsed[1:], True))
        for i in onsets(fired):
            events.append(
                event(
                    int(seg.cycle[i]),
                    "voltage_collapse",
                    str(kind[i]),
                    f"plateau {level[i] * 1000:.2f} mV < {limits[i] * 1000:.2f} mV (early plateau "
                    f"{baselines[i] * 1000:.2f} mV) here and in the next half-cycle",
                    plateau_V=level[i],
                    baseline_V=baselines[i],
                    limit_V=limits[i],
                    detected_at_cycle=seg.cycle[min(i + 1, n - 1)],
                )
            )

    if "voltage_noise" in rules and np.isfinite(params.noise_factor):
        noise_floor = float(params.noise_floor_V or 0.0)
        baselines = baseline(noise)
        limits = np.maximum(noise_floor, params.noise_factor * baselines)
        noisy = np.isfinite(limits) & (noise > limits)
        fired = noisy & np.append(noisy[1:], False)
        for i in onsets(fired):
            events.append(
                event(
                    int(seg.cycle[i]),
                    "voltage_noise",
                    str(kind[i]),
                    f"voltage noise {noise[i] * 1000:.2f} mV > {limits[i] * 1000:.2f} mV "
                    f"(baseline {baselines[i] * 1000:.3f} mV) here and in the next half-cycle",
                    noise_V=noise[i],
                    baseline_V=baselines[i],
                    limit_V=limits[i],
                    detected_at_cycle=seg.cycle[min(i + 1, n - 1)],
                )
            )

    if "rest_voltage_decay" in rules and np.isfinite(params.rest_decay_V):
        drop, probe_s = rest_drops(seg, voltage_V, time_s, counted & regular)
        baselines = baseline(drop)
        limits = np.maximum(
            params.rest_decay_factor * baselines,
            baselines + np.maximum(params.rest_decay_V, 10.0 * np.nan_to_num(noise)),
        )
        judged = np.flatnonzero(np.isfinite(drop) & np.isfinite(limits))
        decayed = drop[judged] > limits[judged]
        fired = decayed & np.append(decayed[1:], False)
        for j in onsets(fired):
            i, nxt = int(judged[j]), int(judged[j + 1])
            events.append(
                event(
                    int(seg.cycle[i]),
                    "rest_voltage_decay",
                    str(kind[i]),
                    f"in the rest after it the voltage fell {drop[i] * 1000:.1f} mV in "
                    f"{probe_s:.0f} s > {limits[i] * 1000:.1f} mV (the cell's usual relaxation "
                    f"{baselines[i] * 1000:.1f} mV), and {drop[nxt] * 1000:.1f} mV after the "
                    "next one",
                    drop_V=drop[i],
                    baseline_V=baselines[i],
                    limit_V=limits[i],
                    probe_s=probe_s,
                    detected_at_cycle=seg.cycle[nxt],
                )
            )

    order = list(SHORT_CIRCUIT_RULES)
    events.sort(key=lambda e: (e.cycle, order.index(e.rule)))
    return tuple(events)


#: a half-cycle carrying less than this fraction of the median of its kind is minor
MINOR_FRACTION = 0.5


def regular_half_cycles(seg: Segmentation, hc: HalfCycles) -> BoolArray:
    """Half-cycles carrying at least ``MINOR_FRACTION`` of the usual charge of their kind (its
    90th percentile: in a file with many pulses the median is a pulse). A cell that has faded
    below that fraction of its early capacity has its late cycles counted as minor.

    The others (pulses and partial steps of an HPPC or drive-cycle block, a step cut short)
    are not compared with regular cycling: their cycles are kept out of CE averages and the
    cycle-level rules, and they give no baseline for noise or plateaus."""
    capacity = np.abs(hc.capacity_Ah)
    regular = np.zeros(seg.direction.size, dtype=bool)
    for d in (-1, 1):
        mine = seg.direction == d
        if np.any(mine):
            usual = float(np.percentile(capacity[mine], 90))
            regular[mine] = capacity[mine] >= MINOR_FRACTION * usual
    return regular


def _time_after_cutoff(seg: Segmentation, voltage_V: FloatArray, level_V: float) -> FloatArray:
    """Per positive half-cycle: the current-carrying time (s) after its last row at or above
    ``level_V`` (0 where it never got there, and for negative half-cycles). Same-sign steps
    separated only by rests form one half-cycle, so a charge that reached its cut-off and then
    went on charging in later steps without getting back to it shows here."""
    out = np.zeros(seg.direction.size)

    def after(which: IntArray) -> FloatArray:
        if not which.size:
            return np.zeros(0)
        a, b = seg.starts[which], seg.stops[which]
        lo, hi = int(a[0]), int(b[-1])
        hits = lo + np.flatnonzero(voltage_V[lo:hi] >= level_V)
        last = hits[np.maximum(np.searchsorted(hits, b) - 1, 0)] if hits.size else a - 1
        reached = (last >= a) & (last < b)
        first = np.where(reached, last + 1, b)  # never reached: no time after it (0.0)
        return group_sums(seg.active_weight_s[range_rows(first, b)], b - first)

    which = np.flatnonzero(seg.direction > 0)
    out[which] = reuse.some(f"time_after_V={float(level_V).hex()}", which, after)
    return out


def _sudden_drops(
    seg: Segmentation,
    hc: HalfCycles,
    voltage_V: FloatArray,
    time_s: FloatArray,
    usual_noise: FloatArray,
    counted: BoolArray,
    kind: npt.NDArray[np.str_],
    params: CyclingParameters,
) -> list[ShortCircuitEvent]:
    cc = hc.cc_rows
    floor = float(params.sudden_drop_V or np.inf)
    dv = np.diff(voltage_V)
    hits = np.flatnonzero(dv < -floor)
    label = seg.labels_of(hits)
    pair = cc[hits] & cc[hits + 1] & (label == seg.labels_of(hits + 1)) & (label >= 0)
    hits, label = hits[pair], label[pair]
    keep = (seg.direction[label] > 0) & counted[label]
    hits, label = hits[keep], label[keep]
    if not hits.size:
        return []
    noise = np.nan_to_num(usual_noise[label])
    limit = np.maximum(floor, params.sudden_drop_noise_factor * noise)
    # The level before the drop: the median of the row and the two before it, so that a
    # one-sample spike up followed by the normal voltage is not a drop.
    a, b, c = (voltage_V[np.maximum(hits - k, 0)] for k in (2, 1, 0))
    before = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    drop = before - voltage_V[hits + 1]
    ok = drop > limit
    # Settled: after the first 2 % of the half-cycle's charge (the step's start is not a drop).
    cumulative = np.cumsum(seg.charge_As)
    frac = np.abs(cumulative[hits] - cumulative[seg.starts[label]])
    total = np.abs(np.add.reduceat(seg.charge_As, seg.starts))[label] if seg.starts.size else frac
    ok &= frac > 0.02 * total
    # Persistent: the next rows stay below the level before the drop minus half the drop.
    m = params.sudden_drop_rows
    for j in range(1, m + 1):
        after = np.minimum(hits + j, voltage_V.size - 1)
        ok &= (hits + j < seg.stops[label]) & (voltage_V[after] < before - drop / 2)
    hits, label, drop, limit, before = hits[ok], label[ok], drop[ok], limit[ok], before[ok]
    events = []
    _, first = np.unique(label, return_index=True)
    for row, k, d, lim, v0 in zip(
        hits[first], label[first], drop[first], limit[first], before[first], strict=True
    ):
        events.append(
            event(
                int(seg.cycle[k]),
                "sudden_voltage_drop",
                str(kind[k]),
                f"voltage fell {d * 1000:.1f} mV ({v0:.4f} -> "
                f"{voltage_V[row + 1]:.4f} V) at {time_s[row + 1]:.0f} s (row {row + 2}) under "
                f"constant current and stayed down (limit {lim * 1000:.1f} mV)",
                drop_V=d,
                time_s=time_s[row + 1],
                limit_V=lim,
                detected_at_cycle=seg.cycle[k],
            )
        )
    return events
