"""Plausibility ranges of the run metrics: a value no cell can give is flagged wherever it is
shown (cell, test-run and comparison pages, the API), with the rule and the likely cause.

One table, :data:`PLAUSIBLE_RANGES`, keyed by the :data:`labdb.models.RUN_METRICS` columns
(a test holds the two together), plus the per-cycle checks of :data:`CYCLE_RANGES`. The
definitions and the reasons for each bound are in docs/web.md ("Plausibility").

Why the bounds hold: in an anode-less half cell (Li | SE | bare or seeded collector) every
lithium stripped from the working electrode was plated there in the same cycle, so stripping
cannot return more charge than plating (CE <= 100 %); in a full cell the discharge cannot give
back more lithium than the charge moved. The cumulative CE is a product of per-cycle CEs
(docs/metrics-cycling.md) and so cannot exceed 100 % either. A tolerance of
:data:`CE_TOLERANCE` (1 percentage point) covers the cyclers' current-integration accuracy
(typically 0.02-0.1 % of range) and rest-period self-discharge; above it, something other than
the cell made the number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: CE, ICE and cumulative CE may exceed 1 (100 %) by this much (a fraction) before a flag.
CE_TOLERANCE = 0.01
#: Capacity retention (fraction of the reference cycle's capacity) above this is flagged:
#: early cycles can gain a few percent (activation, wetting of the SE interface), not more.
RETENTION_MAX = 1.10

CE_CAUSE = (
    "more charge came back than went in: a soft short circuit let the stripping run long, "
    "the current sign is swapped (charge and discharge exchanged), the electrode held lithium "
    "before the test (a reservoir), or the protocol's half-cycle window does not match the data"
)
RETENTION_CAUSE = (
    "the reference cycle is a low-capacity formation or conditioning cycle, the capacity "
    "sign or area is wrong, or the protocol window does not match the data"
)
SIGN_CAUSE = "a current sign or step type the reader did not map, or a wrong cell area"


@dataclass(frozen=True)
class PlausibleRange:
    """The values a metric can physically take: ``low <= value <= high`` (either may be None).
    Fractions are in the RUN_METRICS unit "1" (1.0 = 100 %)."""

    column: str
    low: float | None
    high: float | None
    rule: str
    cause: str

    def holds(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


def _ce(column: str, name: str) -> PlausibleRange:
    return PlausibleRange(
        column,
        0.0,
        1.0 + CE_TOLERANCE,
        f"{name} is at most 100 % (+{CE_TOLERANCE * 100:g} points tolerance) in a cell "
        "with no lithium reservoir",
        CE_CAUSE,
    )


#: One declared range per run metric (column of :class:`labdb.models.AnalysisResult`).
PLAUSIBLE_RANGES: dict[str, PlausibleRange] = {
    r.column: r
    for r in (
        PlausibleRange("cycle_count", 0, None, "a cycle count is not negative", SIGN_CAUSE),
        _ce("initial_coulombic_efficiency", "the initial coulombic efficiency"),
        _ce("average_coulombic_efficiency", "the average coulombic efficiency"),
        _ce("cumulative_coulombic_efficiency", "the cumulative coulombic efficiency"),
        PlausibleRange(
            "capacity_retention",
            0.0,
            RETENTION_MAX,
            f"capacity retention is at most {RETENTION_MAX * 100:g} % of the reference cycle",
            RETENTION_CAUSE,
        ),
        PlausibleRange(
            "short_circuit_cycle",
            1,
            None,
            "a short circuit happens at cycle 1 or later",
            "cycle numbering of the file",
        ),
        PlausibleRange("cycle_life", 0, None, "a cycle life is not negative", SIGN_CAUSE),
        PlausibleRange("total_time_h", 0, None, "a test time is not negative", "clock reset"),
    )
}

#: Per-cycle values (columns of :class:`labdb.models.CycleResult`) and their ranges.
CYCLE_RANGES: dict[str, PlausibleRange] = {
    r.column: r
    for r in (
        _ce("coulombic_efficiency", "a cycle's coulombic efficiency"),
        *(
            PlausibleRange(c, 0.0, None, "a capacity is not negative", SIGN_CAUSE)
            for c in (
                "charge_capacity_mAh",
                "discharge_capacity_mAh",
                "plating_capacity_mAh",
                "stripping_capacity_mAh",
            )
        ),
    )
}

#: at most this many cycles are named in a flag
CYCLES_SHOWN = 10


@dataclass(frozen=True)
class Flag:
    """A value outside its plausible range: which metric, the value, the rule it breaks, the
    likely cause and (for per-cycle values) the cycles where it happened."""

    metric: str
    value: float
    rule: str
    cause: str
    cycles: tuple[int, ...] = field(default=())
    cycle_count: int = 0

    @property
    def text(self) -> str:
        where = ""
        if self.cycles:
            shown = ", ".join(str(c) for c in self.cycles)
            more = self.cycle_count - len(self.cycles)
            where = f" (cycles {shown}{f' and {more} more' if more > 0 else ''})"
        return f"implausible{where}: {self.rule}; likely cause: {self.cause}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "value": self.value,
            "rule": self.rule,
            "cause": self.cause,
            "cycles": list(self.cycles),
            "cycle_count": self.cycle_count,
        }


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


def metric_flag(column: str, value: float | None) -> Flag | None:
    """The flag of one run-metric value, or None when it is plausible (or unknown/empty)."""
    spec = PLAUSIBLE_RANGES.get(column)
    if spec is None or value is None or spec.holds(float(value)):
        return None
    return Flag(column, float(value), spec.rule, spec.cause)


def metric_flags(values: Mapping[str, Any]) -> list[Flag]:
    """Flags of the run metrics in ``values`` (column -> value), in table order."""
    out = []
    for column in PLAUSIBLE_RANGES:
        flag = metric_flag(column, values.get(column))
        if flag is not None:
            out.append(flag)
    return out


def cycle_flags(rows: Iterable[Mapping[str, Any]]) -> list[Flag]:
    """Flags of per-cycle values (rows with ``cycle`` and the CYCLE_RANGES columns): one per
    column, naming the first cycles that break it and the worst value."""
    broken: dict[str, list[tuple[int, float]]] = {}
    for row in rows:
        for column, spec in CYCLE_RANGES.items():
            value = row.get(column)
            if value is not None and not spec.holds(float(value)):
                broken.setdefault(column, []).append((int(row["cycle"]), float(value)))
    out = []
    for column, hits in broken.items():
        spec = CYCLE_RANGES[column]
        worst = max(hits, key=lambda h: abs(h[1]))[1]
        cycles = tuple(c for c, _ in hits[:CYCLES_SHOWN])
        out.append(Flag(column, worst, spec.rule, spec.cause, cycles, len(hits)))
    return out


#: A half-cycle may hold at most this multiple of the charge the protocol allows (current x
#: time, see :func:`protocol_capacity_mAh`): a capacity-limited step stops at its capacity, and
#: a cell's real capacity at low rate exceeds its nominal 1C capacity by 10-20 %, not more.
CAPACITY_OVER = 1.25
#: ... and its median over the cycles at least this fraction of it: an order of magnitude
#: below means the area or the current does not match (mm2 typed as cm2, mA as A).
CAPACITY_UNDER = 0.1
#: the name of the capacity check's flag (a half-cycle capacity in mAh)
CAPACITY_METRIC = "half_cycle_capacity_mAh"
CAPACITY_CAUSE = (
    "the cell's area is wrong (e.g. mm2 entered as cm2 or a diameter as an area), the current "
    "unit or scale of the file is wrong, or the protocol does not match the data"
)


def protocol_capacity_mAh(parameters: Mapping[str, Any], area_cm2: float | None) -> float | None:
    """The most charge one half-cycle can move under the protocol, in mAh: the areal capacity
    per half-cycle (mAh/cm2) x the cell's area for a capacity-limited plating/stripping
    protocol; else the 1C current density (mA/cm2, the current that moves the nominal capacity
    in 1 h) x 1 h x the area, which bounds a C-rate protocol at any rate (current I = C x j1C x
    A for a time of at most 1/C h). None when the protocol or the area does not say."""
    if not area_cm2 or area_cm2 <= 0:
        return None
    for key in ("areal_capacity_mAh_cm2", "one_c_current_density_mA_cm2"):
        value = parameters.get(key)
        if isinstance(value, int | float) and value > 0:
            return float(value) * float(area_cm2)
    return None


def capacity_flag(rows: Iterable[Mapping[str, Any]], allowed_mAh: float | None) -> Flag | None:
    """The flag of half-cycle capacities (``plating_capacity_mAh``, else
    ``charge_capacity_mAh`` of each cycle row) far from ``allowed_mAh``: any cycle above
    :data:`CAPACITY_OVER` times it, or a median below :data:`CAPACITY_UNDER` times it."""
    if not allowed_mAh:
        return None
    values: list[tuple[int, float]] = []
    for row in rows:
        for name in ("plating_capacity_mAh", "charge_capacity_mAh"):
            v = row.get(name)
            if v is not None:
                values.append((int(row["cycle"]), float(v)))
                break
    if not values:
        return None
    rule = (
        f"a half-cycle holds at most {CAPACITY_OVER:g} x and (median) at least "
        f"{CAPACITY_UNDER:g} x the {allowed_mAh:.4g} mAh the protocol's current and time allow "
        "on the cell's area"
    )
    over = [(c, v) for c, v in values if v > CAPACITY_OVER * allowed_mAh]
    if over:
        worst = max(v for _, v in over)
        cycles = tuple(c for c, _ in over[:CYCLES_SHOWN])
        return Flag(CAPACITY_METRIC, worst, rule, CAPACITY_CAUSE, cycles, len(over))
    ordered = sorted(v for _, v in values)
    median = ordered[len(ordered) // 2]
    if median < CAPACITY_UNDER * allowed_mAh:
        return Flag(CAPACITY_METRIC, median, rule + " (median shown)", CAPACITY_CAUSE)
    return None


def result_flags(result: Any, *, cycles: bool = True) -> list[Flag]:
    """Flags of an :class:`~labdb.models.AnalysisResult`: its run metrics and (with
    ``cycles``) its per-cycle values and the capacity check against the protocol (one
    query)."""
    flags = metric_flags({c: getattr(result, c, None) for c in PLAUSIBLE_RANGES})
    if cycles and getattr(result, "kind", "") == "cycling":
        rows = list(result.cycle_rows().order_by("cycle").values("cycle", *CYCLE_RANGES))
        flags += cycle_flags(rows)
        run = result.test_run
        cell = run.cell
        allowed = protocol_capacity_mAh(
            run.protocol.parameters or {}, cell.area_cm2 if cell is not None else None
        )
        flag = capacity_flag(rows, allowed)
        if flag is not None:
            flags.append(flag)
    return flags
