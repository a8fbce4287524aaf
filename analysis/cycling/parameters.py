"""The knobs of the cycling analysis, each with a documented default.

Every threshold that decides something (what counts as a rest, which cycles are averaged, when a
cell is called shorted) lives here, so that a result can state exactly how it was computed and a
re-analysis with other parameters is a new, comparable result. Defaults that depend on the cell
type are ``None`` here and are filled in by :func:`resolve` (the result keeps the resolved set).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from analysis.params import param

CellType = Literal["half", "full"]
CapacitySource = Literal["auto", "counters", "integration"]
CurrentSign = Literal["auto", "as_recorded", "reversed"]
CEMethod = Literal["cycle", "reservoir"]

SHORT_CIRCUIT_RULES: tuple[str, ...] = (
    "soft_short_ce",
    "cutoff_not_reached",
    "sudden_voltage_drop",
    "voltage_collapse",
    "voltage_noise",
    "charge_overrun",
    "ce_rise",
    "rest_voltage_decay",
    "ce_cusum",
    "ce_excursions",
    "stripping_tail",
)

#: The rules applied when ``short_circuit_rules`` is not given, by cell type: CE above 1 is a
#: short's signature in a half cell only (a full cell's discharge may exceed its charge after a
#: rate step); a charge that runs long with a falling CE is the full cell's soft short.
DEFAULT_RULES: dict[str, tuple[str, ...]] = {
    "half": (
        "soft_short_ce",
        "ce_rise",
        "ce_cusum",
        "ce_excursions",
        "stripping_tail",
        "cutoff_not_reached",
        "sudden_voltage_drop",
        "voltage_collapse",
        "voltage_noise",
        "rest_voltage_decay",
    ),
    "full": ("cutoff_not_reached", "sudden_voltage_drop", "voltage_noise", "charge_overrun"),
}


@dataclass(frozen=True)
class CyclingParameters:
    """Parameters of :func:`analysis.cycling.analyze_cycling`.

    Segmentation
        ``rest_current_threshold_A``: rows with ``|I|`` at or below it are rests (A). ``None``:
        ``rest_current_fraction`` (default 0.5 %) of the 99th percentile of ``|I|``, at least
        1e-9 A. A constant-voltage tail is kept down to that fraction of the CC current.
        ``max_interruption_s`` (60 s) and ``max_interruption_charge_fraction`` (2 %): a run of
        the opposite current sign shorter than this time *and* carrying less than this fraction
        of the median half-cycle charge is an interruption (a mis-signed sample, a glitch), not a
        half-cycle; it is merged into the half-cycle around it. So is a pulse: a programmed step
        of the opposite sign (steps of its own) lasting less than ``max_interruption_s`` and at
        most ``max_pulse_fraction`` (0.2) of each run of the other sign around it (first to last
        current-carrying row); a half-cycle holding pulses and its partner form a diagnostic block
        (HPPC), kept out of the cycles (:mod:`analysis.cycling.segmentation`).
        ``max_integration_gap_s`` (3600 s): sampling intervals longer than this (the test was
        paused) are not integrated.

    Capacities
        ``capacity_source``: ``"auto"`` uses the vendor's counters when the table has them,
        ``"counters"`` requires them, ``"integration"`` always integrates the current.
        ``counter_mismatch_tolerance`` (2 %): relative disagreement between counters and
        integration; when more than a tenth of the half-cycles disagree by more, ``"auto"``
        uses the integrated current and says so.
        ``current_sign``: ``"auto"`` checks the sign against the second law (a passive cell
        taken round complete cycles dissipates energy: the net ``V I dt`` is positive) and
        negates a reversed current with a warning; ``"as_recorded"`` trusts the file;
        ``"reversed"`` negates it.
        ``partial_first_fraction`` (0.5): a first cycle whose first half-cycle carries less than
        this fraction of the median of the following ones of its kind is partial (a test that
        started mid-charge) and is not used for ICE, averages or short rules; so is a full
        cell's first cycle whose discharge exceeds its charge by more than
        ``ce_short_tolerance`` (the cell held charge when the test started).

    Overpotentials (half cells, docs/metrics-cycling.md)
        ``overpotential_tail_fraction`` (5 %): the last part of a plating half-cycle (by
        charge) left out of its plateau. ``stripping_rise_V`` (0.05 V): the Li-stripping
        plateau ends where the voltage first exceeds its early level (2-20 % of the charge) by
        this much (the dealloying of the seeds, then the rise to the cut-off).
        ``cc_current_tolerance`` (2 %): a row belongs to the constant-current part of its
        half-cycle when its current is within this fraction of the half-cycle's median current.

    Run metrics
        ``average_ce_first_cycle`` (2) and ``average_ce_last_cycle`` (``None`` = the last cycle
        before a short, or the last complete cycle): the window of the average CE.
        ``ce_method``: ``"cycle"`` averages the per-cycle CE over that window; ``"reservoir"``
        (half cells) gives the reservoir method's CE (:mod:`analysis.cycling.reservoir`) as the
        average CE, after ``formation_cycles`` (0 when not given).
        ``formation_cycles``: cycles excluded from the retention reference; ``None`` detects
        them: a first current step of at most ``max_formation_cycles`` (5) cycles followed by a
        different current is formation. ``reference_cycle`` (``None`` = first cycle after
        formation) overrides it. ``rate_step_tolerance`` (5 %): relative current change that
        starts a new step of the rate-capability table.

    Short circuits (``short_circuit_rules`` selects the rules, default by cell type:
    :data:`DEFAULT_RULES`; see :mod:`analysis.cycling.shorts` and docs/metrics-cycling.md)
        ``ce_short_tolerance`` (0.01) and ``ce_short_cycles`` (2): CE above ``1 + tol`` in that
        many consecutive cycles, with more charge out than in over them and the cycle before,
        is a soft short. ``ce_rise_min`` (0.003) and ``ce_rise_factor`` (4): a half-cell CE
        that steps above its steady baseline by more than both (the baseline's scatter times the
        factor) on two consecutive cycles is a soft short (``ce_rise``). The scatter is
        that of the CE's successive differences over the previous ``ce_scatter_cycles`` (30)
        cycles at the same current; a baseline whose least-squares slope exceeds
        ``ce_trend_z`` (3) standard errors is still moving and judges nothing.
        ``ce_cusum_*``: a window-limited one-sided CUSUM (Page 1954) of the half-cell CE above
        its own trend (Theil-Sen over the previous ``ce_cusum_baseline_cycles`` (8) cycles at
        the current, slope >= 0), in units of the scatter: reference ``ce_cusum_reference``
        (1.5), each excess clipped at ``ce_cusum_clip`` (3), decision interval
        ``ce_cusum_interval`` (6) reached within ``ce_cusum_window`` (5) cycles with at least
        ``ce_cusum_cycles`` (3) of them above the reference (``ce_cusum``).
        ``ce_excursion_z`` (5), ``ce_excursion_window`` (4) and ``ce_excursion_cycles`` (2):
        a half-cell CE more than ``z`` scatters above that same trend, not preceded by a cycle
        more than ``z / 2`` below it (trapped Li coming back), is an excursion; that many
        excursions within the window, the first at its start, are an intermittent soft short
        (``ce_excursions``).
        ``tail_z`` (5), ``tail_window`` (4), ``tail_cycles`` (2), ``tail_baseline_cycles`` (4)
        and ``tail_scatter_floor`` (0.02): the charge a half-cell stripping passes after the
        midpoint of its rise from the Li plateau to the cut-off (the seed's de-alloying tail)
        more than ``z`` scatters above its own trend (the ``ce_cusum`` baseline over the tails
        of the previous ``tail_baseline_cycles`` cycles at the current; the scatter at least
        ``floor`` x the trend's level) is an excursion; that many within the window,
        the first at its start, are a soft short (``stripping_tail``).
        ``rest_decay_factor`` (2) and ``rest_decay_V`` (0.02 V): the voltage falling in the
        rest after a stripping by more than that factor times the cell's usual relaxation over
        the same time, and by more than this (and 10 x the noise) above it, after two
        consecutive strippings, is a soft short (``rest_voltage_decay``).
        ``upper_cutoff_V`` / ``lower_cutoff_V``: the protocol's voltage limits of the
        positive-current (stripping / charge) and negative-current half-cycles; ``None`` infers
        them from the half-cycles that were followed by another one: the highest (lowest)
        voltage that at least two of them reached within ``cutoff_tolerance_V`` (0.05 V). So a
        short is recognised by this rule from the third cycle on unless the cut-off is given.
        ``cutoff_time_factor`` (1.5): a positive-current half-cycle still running at the end of
        the file counts as not reaching its cut-off only once it has lasted this many times the
        median duration of those that did.
        ``sudden_drop_V`` (0.01 V half cell, 0.05 V full cell; ``inf`` disables) and
        ``sudden_drop_noise_factor`` (10): a fall of the voltage between consecutive
        constant-current rows of a positive-current half-cycle larger than both this and that
        many times the half-cycle's noise, after which the voltage stays down for
        ``sudden_drop_rows`` (3) rows (a one-sample glitch comes back), is a sudden drop.
        ``collapse_ratio`` (0.2) and ``collapse_voltage_V`` (1 mV half cell, 0 = disabled for
        full cells): a half-cell half-cycle whose Li plateau overpotential falls below that
        fraction of the cell's own early plateau and below ``max(collapse_voltage_V, 3 noise)``
        has collapsed (Li against Li); on two consecutive half-cycles (or the last) it is a
        hard short.
        ``noise_factor`` (5), ``noise_floor_V`` (1 mV half, 5 mV full) and
        ``noise_baseline_cycles`` (10): a half-cycle is noisy when its robust voltage noise
        (trimmed RMS of the second difference over constant-current rows / sqrt(6)) exceeds the
        floor and ``noise_factor`` times the median noise of the same kind in the first
        ``noise_baseline_cycles`` cycles; two consecutive noisy half-cycles are a short sign.
        ``overrun_fraction`` (0), ``overrun_ce_drop`` (0.02) and ``overrun_baseline_cycles``
        (5): a full-cell charge that carries at least ``1 + fraction`` times the median charge
        of the previous cycles at the same current, in a cycle whose CE is more than
        ``ce_drop`` below theirs, on two consecutive cycles, is a soft short.
    """

    rest_current_threshold_A: float | None = param(
        None, unit="A", doc="|I| at or below it is a rest; null: rest_current_fraction of I99"
    )
    rest_current_fraction: float = param(
        0.005, doc="rest threshold as a fraction of the 99th percentile of |I|"
    )
    max_interruption_s: float = param(
        60.0, unit="s", doc="an opposite-sign run shorter than this may be an interruption"
    )
    max_interruption_charge_fraction: float = param(
        0.02, doc="... and carrying less than this fraction of the median half-cycle charge"
    )
    max_pulse_fraction: float = param(
        0.2, doc="a pulse lasts at most this fraction of each run of the other sign around it"
    )
    max_integration_gap_s: float = param(
        3600.0, unit="s", doc="sampling intervals longer than this (a pause) are not integrated"
    )
    capacity_source: CapacitySource = param(
        "auto", doc="auto (vendor counters when present), counters or integration"
    )
    counter_mismatch_tolerance: float = param(
        0.02, doc="relative counter/integration disagreement that gives a warning"
    )
    overpotential_tail_fraction: float = param(
        0.05, doc="last part (by charge) of a half-cycle left out of the overpotentials"
    )
    cc_current_tolerance: float = param(
        0.02, doc="a row is constant-current within this fraction of the half-cycle's median"
    )
    ce_method: CEMethod = param(
        "cycle", doc="cycle (mean of per-cycle CE) or reservoir (Adams et al. 2018, half cells)"
    )
    average_ce_first_cycle: int = param(2, doc="first cycle of the average-CE window")
    average_ce_last_cycle: int | None = param(
        None, doc="last cycle of the average-CE window; null: last before a short or complete"
    )
    formation_cycles: int | None = param(
        None, doc="cycles excluded from the retention reference; null: detected"
    )
    max_formation_cycles: int = param(5, doc="longest first current step taken as formation")
    reference_cycle: int | None = param(
        None, doc="retention reference cycle; null: first cycle after formation"
    )
    rate_step_tolerance: float = param(
        0.05, doc="relative current change that starts a new rate-capability step"
    )
    current_sign: CurrentSign = param(
        "auto", doc="auto (checked by the energy balance), as_recorded or reversed"
    )
    partial_first_fraction: float = param(
        0.5, doc="a first half-cycle below this x the usual is partial (cycle 1 not used)"
    )
    stripping_rise_V: float = param(
        0.05, unit="V", doc="rise above the early stripping level that ends the Li plateau"
    )
    short_circuit_rules: tuple[str, ...] | None = param(
        None, doc="short-circuit rules applied; null: by cell type (docs/metrics-cycling.md)"
    )
    ce_short_tolerance: float = param(0.01, doc="CE above 1 + this is a soft-short sign")
    ce_short_cycles: int = param(2, doc="consecutive cycles of CE above 1 + tol for a short")
    ce_rise_min: float = param(0.003, doc="smallest CE step above a steady baseline (ce_rise)")
    ce_rise_factor: float = param(4.0, doc="... and at least this x the CE's scatter")
    ce_scatter_cycles: int = param(
        30, doc="previous cycles at the same current whose CE differences give the scatter"
    )
    ce_trend_z: float = param(
        3.0, doc="a baseline whose slope exceeds this x its standard error is not steady"
    )
    ce_cusum_baseline_cycles: int = param(
        8, doc="previous cycles at the same current whose trend is ce_cusum's baseline"
    )
    ce_cusum_reference: float = param(
        1.5, doc="CUSUM reference value k: scatters above the trend a cycle must exceed"
    )
    ce_cusum_interval: float = param(6.0, doc="CUSUM decision interval h (in scatters)")
    ce_cusum_clip: float = param(3.0, doc="one cycle adds at most this excess (in scatters)")
    ce_cusum_window: int = param(5, doc="cycles the CUSUM may take to reach h from its start")
    ce_cusum_cycles: int = param(3, doc="cycles above the reference needed for ce_cusum")
    ce_excursion_z: float = param(
        5.0, doc="scatters above the trend that make a CE an excursion (ce_excursions)"
    )
    ce_excursion_window: int = param(4, doc="cycles within which the excursions must fall")
    ce_excursion_cycles: int = param(
        2, doc="uncompensated excursions within the window needed for ce_excursions"
    )
    tail_z: float = param(
        5.0, doc="scatters above the trend that make a stripping tail an excursion"
    )
    tail_baseline_cycles: int = param(
        4, doc="previous cycles at the same current whose trend is the tail's baseline"
    )
    tail_window: int = param(4, doc="cycles within which the tail excursions must fall")
    tail_cycles: int = param(2, doc="tail excursions within the window for stripping_tail")
    tail_scatter_floor: float = param(
        0.02, doc="smallest tail scatter, as a fraction of the tail's trend level"
    )
    upper_cutoff_V: float | None = param(
        None, unit="V", doc="upper voltage limit; null: inferred from the half-cycles"
    )
    lower_cutoff_V: float | None = param(
        None, unit="V", doc="lower voltage limit; null: inferred from the half-cycles"
    )
    cutoff_tolerance_V: float = param(
        0.05, unit="V", doc="how close to the cut-off a half-cycle must come to reach it"
    )
    cutoff_time_factor: float = param(
        1.5, doc="an unfinished last half-cycle fails the cut-off after this x median duration"
    )
    sudden_drop_V: float | None = param(
        None, unit="V", doc="constant-current voltage fall that is a sudden drop; null: by cell"
    )
    sudden_drop_noise_factor: float = param(
        10.0, doc="a sudden drop must also exceed this x the half-cycle's voltage noise"
    )
    sudden_drop_rows: int = param(3, doc="rows the voltage must stay down after a drop")
    collapse_ratio: float = param(
        0.2, doc="plateau overpotential below this x the early plateau has collapsed"
    )
    collapse_voltage_V: float | None = param(
        None, unit="V", doc="|V| below this counts as collapsed; null: by cell type"
    )
    noise_factor: float = param(5.0, doc="noise above this x the baseline is a short sign")
    noise_floor_V: float | None = param(
        None, unit="V", doc="noise must also exceed this floor; null: by cell type"
    )
    noise_baseline_cycles: int = param(10, doc="cycles whose median noise is the baseline")
    overrun_fraction: float = param(
        0.0, doc="full-cell charge at least 1 + this x the recent median (did not shrink)"
    )
    overrun_ce_drop: float = param(0.02, doc="... in a cycle whose CE fell by more than this")
    overrun_baseline_cycles: int = param(5, doc="previous cycles whose median is the baseline")
    rest_decay_factor: float = param(
        2.0, doc="voltage fall in a rest above this x the cell's usual fall is a short sign"
    )
    rest_decay_V: float = param(
        0.02, unit="V", doc="... and at least this much more than the usual (inf: disabled)"
    )

    def __post_init__(self) -> None:
        unknown = set(self.short_circuit_rules or ()) - set(SHORT_CIRCUIT_RULES)
        if unknown:
            raise ValueError(
                f"unknown short-circuit rule(s) {sorted(unknown)}; known: {list(SHORT_CIRCUIT_RULES)}"
            )
        if self.capacity_source not in ("auto", "counters", "integration"):
            raise ValueError(
                f"capacity_source: expected 'auto', 'counters' or 'integration', found {self.capacity_source!r}"
            )
        for name in (
            "rest_current_fraction",
            "max_interruption_charge_fraction",
            "max_pulse_fraction",
        ):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(
                    f"{name}: expected a fraction in [0, 1), found {getattr(self, name)}"
                )
        if self.ce_method not in ("cycle", "reservoir"):
            raise ValueError(
                f"ce_method: expected 'cycle' or 'reservoir', found {self.ce_method!r}"
            )
        if self.current_sign not in ("auto", "as_recorded", "reversed"):
            raise ValueError(
                f"current_sign: expected 'auto', 'as_recorded' or 'reversed', found {self.current_sign!r}"
            )
        if self.ce_short_cycles < 1 or self.sudden_drop_rows < 1:
            raise ValueError("ce_short_cycles and sudden_drop_rows: expected at least 1")
        if self.overrun_baseline_cycles < 1:
            raise ValueError(
                f"overrun_baseline_cycles: expected at least 1, found {self.overrun_baseline_cycles}"
            )
        if self.tail_window < 1 or self.tail_cycles < 1 or self.tail_baseline_cycles < 2:
            raise ValueError(
                "tail_window and tail_cycles: expected at least 1; tail_baseline_cycles: at least 2"
            )
        if self.ce_excursion_window < 1 or self.ce_excursion_cycles < 1:
            raise ValueError("ce_excursion_window and ce_excursion_cycles: expected at least 1")
        if self.ce_cusum_baseline_cycles < 2 or self.ce_cusum_window < 1:
            raise ValueError(
                "ce_cusum_baseline_cycles: expected at least 2; ce_cusum_window: at least 1"
            )
        if self.average_ce_first_cycle < 1:
            raise ValueError("average_ce_first_cycle: expected a cycle number >= 1")

    def to_dict(self) -> dict[str, Any]:
        """The parameters as JSON-ready values."""
        out = dataclasses.asdict(self)
        if self.short_circuit_rules is not None:
            out["short_circuit_rules"] = list(self.short_circuit_rules)
        return out


def resolve(params: CyclingParameters, cell_type: CellType) -> CyclingParameters:
    """``params`` with the cell-type-dependent defaults filled in."""
    half = cell_type == "half"
    changes: dict[str, Any] = {}
    if params.short_circuit_rules is None:
        changes["short_circuit_rules"] = DEFAULT_RULES[cell_type]
    if params.sudden_drop_V is None:
        changes["sudden_drop_V"] = 0.01 if half else 0.05
    if params.collapse_voltage_V is None:
        changes["collapse_voltage_V"] = 0.001 if half else 0.0
    if params.noise_floor_V is None:
        changes["noise_floor_V"] = 0.001 if half else 0.005
    return dataclasses.replace(params, **changes)
