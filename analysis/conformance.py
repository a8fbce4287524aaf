"""Protocol conformance: did a test run follow its protocol?

A run's stored per-half-cycle (cycling) or per-spectrum (EIS) results are compared with the
values its protocol states (``labdb.protocols.PARAMETERS`` names, canonical units). Each
check is "ok", "deviation" or "not recorded" (the data or the cell lack what it needs: no
area for a current density, no temperature column, a result stored before the column
existed); a check whose value the protocol does not state is not made. Tolerances
(docs/statistics.md, "Protocol conformance"), chosen to sit above a cycler's set-point
accuracy and logging resolution and below any change a protocol would make on purpose:

========================  =============================================================
current density           the half-cycle's constant-current level within +-5 % (relative)
C-rate                    within +-5 % of the protocol's C-rate (rate tests: of one of
                          the listed C-rates); C = |I| / (1C current density x area)
areal capacity            each plating half-cycle's capacity / area within +-5 %
cut-off voltages          no half-cycle beyond a cut-off by more than 10 mV (charge or
                          stripping above the upper, discharge or plating below the lower)
temperature               the half-cycle's mean cell temperature within +-2 degC
EIS frequency range       each spectrum's highest and lowest measured frequency within
                          +-10 % of the protocol's
EIS interval (in situ)    the time from the end of one spectrum to the start of the next
                          (the cycling between them; start to start when the end is not
                          recorded) within +-10 %
========================  =============================================================

Cycling checks cover the complete cycles from cycle 1 (a partial or minor cycle the run
metrics leave out is a deviation here: the protocol did not ask for it; the last cycle cut
by the end of the file is not), the capacity and cut-off checks only before the
short-circuit cycle (a cell that shorted followed its protocol until it could not; the
short is reported as such, not as a deviation). On the pipeline's JSON tables, column by
column with numpy: no Django.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

from analysis.serial import column_array, column_of, num

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

VERSION = "1"
RELATIVE_CURRENT = 0.05
RELATIVE_CAPACITY = 0.05
CUTOFF_V = 0.010
TEMPERATURE_DEGC = 2.0
RELATIVE_EIS = 0.10

TOLERANCES: dict[str, str] = {
    "current_density": f"+-{RELATIVE_CURRENT:.0%} (relative)",
    "c_rate": f"+-{RELATIVE_CURRENT:.0%} (relative)",
    "areal_capacity": f"+-{RELATIVE_CAPACITY:.0%} (relative)",
    "cutoff_voltage": f"{CUTOFF_V * 1000:.0f} mV beyond the cut-off",
    "temperature": f"+-{TEMPERATURE_DEGC:g} degC",
    "eis_frequency_range": f"+-{RELATIVE_EIS:.0%} (relative)",
    "eis_interval": f"+-{RELATIVE_EIS:.0%} (relative)",
}
CYCLING_KINDS = ("plating_stripping", "galvanostatic", "formation", "rate")
EIS_KINDS = ("eis", "insitu_eis")
POSITIVE = ("stripping", "charge")


@dataclass(frozen=True)
class Deviation:
    """One check that failed: what the protocol says, the range found, and where (cycle or
    spectrum numbers), with a sentence saying so."""

    check: str
    parameter: str
    expected: float | list[float]
    unit: str
    tolerance: str
    found_min: float
    found_max: float
    at: list[int]
    at_kind: str
    message: str


@dataclass(frozen=True)
class Conformance:
    """A run checked against its protocol (module docstring)."""

    protocol_kind: str
    protocol_parameters: dict[str, Any]
    checks: dict[str, str]
    deviations: list[Deviation] = field(default_factory=list)
    version: str = VERSION

    @property
    def conforms(self) -> bool:
        return not self.deviations

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["tolerances"] = {k: TOLERANCES[k] for k in self.checks if k in TOLERANCES}
        return out


def ranges_text(numbers: Iterable[int]) -> str:
    """Sorted numbers as ranges: [1, 2, 3, 7, 9, 10] -> '1-3, 7, 9-10'."""
    xs = sorted(set(numbers))
    parts: list[str] = []
    i = 0
    while i < len(xs):
        j = i
        while j + 1 < len(xs) and xs[j + 1] == xs[j] + 1:
            j += 1
        parts.append(str(xs[i]) if i == j else f"{xs[i]}-{xs[j]}")
        i = j + 1
    return ", ".join(parts)


class _Checker:
    """Collects check statuses and deviations of one run."""

    def __init__(self) -> None:
        self.checks: dict[str, str] = {}
        self.deviations: list[Deviation] = []

    def run(
        self,
        check: str,
        parameter: str,
        expected: float | list[float],
        unit: str,
        rows: Sequence[tuple[int, float | None]],
        ok: Callable[[FloatArray], BoolArray],
        label: str,
        at_kind: str = "cycle",
    ) -> None:
        """``rows``: (cycle or spectrum, value found); see :meth:`run_arrays`."""
        self.run_arrays(
            check,
            parameter,
            expected,
            unit,
            np.array([at for at, _ in rows], dtype=np.int64),
            _floats([v for _, v in rows]),
            ok,
            label,
            at_kind,
        )

    def run_arrays(
        self,
        check: str,
        parameter: str,
        expected: float | list[float],
        unit: str,
        at: IntArray,
        values: FloatArray,
        ok: Callable[[FloatArray], BoolArray],
        label: str,
        at_kind: str = "cycle",
    ) -> None:
        """``at``: the cycle or spectrum of each value found (NaN: none); a check with no
        value is not recorded; the values failing ``ok`` (vectorised) make one deviation."""
        found = np.isfinite(values)
        if not found.any():
            self.checks.setdefault(check, "not recorded")
            return
        at, values = at[found], values[found]
        bad = ~np.asarray(ok(values), dtype=bool)
        if not bad.any():
            self.checks.setdefault(check, "ok")
            return
        self.checks[check] = "deviation"
        where_bad = sorted(set(at[bad].tolist()))
        lo, hi = float(values[bad].min()), float(values[bad].max())
        shown = (
            ", ".join(f"{e:g}" for e in expected) if isinstance(expected, list) else f"{expected:g}"
        )
        text = f"{lo:.4g}" if lo == hi else f"{lo:.4g} to {hi:.4g}"
        where = (
            {"cycle": "cycles", "spectrum": "spectra"}[at_kind] if len(where_bad) > 1 else at_kind
        )
        self.deviations.append(
            Deviation(
                check,
                parameter,
                expected,
                unit,
                TOLERANCES[check],
                lo,
                hi,
                where_bad,
                at_kind,
                f"{label} {text} {unit} instead of {shown} {unit} ({TOLERANCES[check]}) "
                f"in {where} {ranges_text(where_bad)}",
            )
        )


def _float_column(rows: Sequence[Mapping[str, Any]], name: str) -> FloatArray:
    """Column ``name`` of the records as :func:`_floats` gives it: straight from the frame's
    array where :class:`~analysis.serial.LazyRecords` hold it as numbers (the same values:
    an integer or float made float64, NaN for a non-finite one), else from the values."""
    array = column_array(rows, name)
    if array is None or array.dtype.kind not in "iuf":
        return _floats(column_of(rows, name))
    out = array.astype(np.float64)  # a copy
    out[~np.isfinite(out)] = np.nan
    return out


def _cycle_numbers(rows: Sequence[Mapping[str, Any]]) -> IntArray:
    """``int`` of each row's cycle: the integer column itself where the frame holds one."""
    array = column_array(rows, "cycle")
    if array is not None and array.dtype.kind in "iu":
        return array.astype(np.int64)
    return np.array([int(c) for c in column_of(rows, "cycle")], dtype=np.int64)


def _floats(values: Sequence[Any]) -> FloatArray:
    """``num`` of each value as an array, NaN for None (a non-finite value is None there):
    at C speed when every value is a float, an int or None (the usual JSON column), else
    value by value."""
    if all(type(v) in _PLAIN for v in values):
        out = np.array(values, dtype=np.float64)  # None -> NaN
    else:
        out = np.array([num(v) for v in values], dtype=np.float64)
    out[~np.isfinite(out)] = np.nan
    return out


_PLAIN = frozenset({float, int, type(None)})


def _within(expected: float, relative: float) -> Callable[[FloatArray], BoolArray]:
    return lambda v: np.abs(v - expected) <= relative * abs(expected)


def check_cycling(
    protocol_kind: str,
    parameters: Mapping[str, Any],
    *,
    area_cm2: float | None,
    half_cycles: Sequence[Mapping[str, Any]],
    cycles: Sequence[Mapping[str, Any]],
    short_circuit_cycle: int | None,
) -> Conformance:
    """Check a cycling run's half-cycles (the pipeline's ``half_cycles`` and ``cycles``
    tables as records, or :class:`~analysis.serial.LazyRecords`, read column by column)
    against its protocol's ``parameters``. Column by column in numpy: a version of a growing
    file checks every cycle again (a protocol may be edited), ~1 us per half-cycle."""
    complete, cycle = column_array(cycles, "complete"), column_array(cycles, "cycle")
    if (
        complete is not None
        and complete.dtype.kind == "b"
        and cycle is not None
        and cycle.dtype.kind in "iu"
    ):  # the pipeline's tables: the arrays themselves
        all_numbers = cycle.astype(np.int64)
        used = np.unique(all_numbers[complete & (all_numbers >= 1)])
    else:  # records: a complete row's cycle is int() of its value, which may be a float
        used = np.array(
            sorted(
                {
                    n
                    for c, ok in zip(
                        column_of(cycles, "cycle"), column_of(cycles, "complete"), strict=True
                    )
                    if ok and (n := int(c)) >= 1
                }
            ),
            dtype=np.int64,
        )
    # the half-cycles of used cycles (their cycle numbers and indices)
    numbers = _cycle_numbers(half_cycles)
    rows = np.flatnonzero(np.isin(numbers, used))
    before_short = (
        rows if short_circuit_cycle is None else rows[numbers[rows] < short_circuit_cycle]
    )
    area = area_cm2 if area_cm2 and area_cm2 > 0 else None
    ck = _Checker()
    p = {k: num(v) for k, v in parameters.items() if not isinstance(v, list)}

    def values(name: str) -> FloatArray:
        return _float_column(half_cycles, name)

    density = p.get("current_density_mA_cm2")
    one_c = p.get("one_c_current_density_mA_cm2")
    rates = [float(x) for x in parameters.get("c_rates") or [] if num(x)]
    c_rate = p.get("c_rate")
    rate_check = bool(c_rate or rates) and protocol_kind != "plating_stripping"
    nothing = np.full(len(rows), np.nan)
    densities = np.abs(values("current_mA")[rows]) / area if area else nothing
    if density:
        ck.run_arrays(
            "current_density",
            "current_density_mA_cm2",
            density,
            "mA/cm2",
            numbers[rows],
            densities,
            _within(density, RELATIVE_CURRENT),
            "current density",
        )
    if rate_check:
        found = densities / one_c if one_c else nothing
        if rates:
            ck.run_arrays(
                "c_rate",
                "c_rates",
                rates,
                "C",
                numbers[rows],
                found,
                lambda v: np.any([np.abs(v - r) <= RELATIVE_CURRENT * r for r in rates], axis=0),
                "C-rate",
            )
        elif c_rate:
            ck.run_arrays(
                "c_rate",
                "c_rate",
                c_rate,
                "C",
                numbers[rows],
                found,
                _within(c_rate, RELATIVE_CURRENT),
                "C-rate",
            )
    kinds = np.array(column_of(half_cycles, "kind"), dtype=object)
    capacity = p.get("areal_capacity_mAh_cm2")
    if capacity:
        plating = before_short[kinds[before_short] == "plating"]
        q = values("capacity_mAh")[plating]
        areal = np.where(q != 0, np.abs(q) / area, np.nan) if area else np.full(len(q), np.nan)
        ck.run_arrays(
            "areal_capacity",
            "areal_capacity_mAh_cm2",
            capacity,
            "mAh/cm2",
            numbers[plating],
            areal,
            _within(capacity, RELATIVE_CAPACITY),
            "plated areal capacity",
        )
    upper, lower = p.get("upper_cutoff_voltage_V"), p.get("lower_cutoff_voltage_V")
    positive = np.isin(kinds[before_short], POSITIVE)
    if upper is not None:
        ck.run_arrays(
            "cutoff_voltage",
            "upper_cutoff_voltage_V",
            upper,
            "V",
            numbers[before_short[positive]],
            values("max_voltage_V")[before_short[positive]],
            lambda v: v <= upper + CUTOFF_V,
            "highest voltage",
        )
    if lower is not None:
        ck.run_arrays(
            "cutoff_voltage",
            "lower_cutoff_voltage_V",
            lower,
            "V",
            numbers[before_short[~positive]],
            values("min_voltage_V")[before_short[~positive]],
            lambda v: v >= lower - CUTOFF_V,
            "lowest voltage",
        )
    temperature = p.get("temperature_degC")
    if temperature is not None:
        ck.run_arrays(
            "temperature",
            "temperature_degC",
            temperature,
            "degC",
            numbers[rows],
            values("mean_temperature_degC")[rows],
            lambda v: np.abs(v - temperature) <= TEMPERATURE_DEGC,
            "mean cell temperature",
        )
    return Conformance(protocol_kind, dict(parameters), ck.checks, ck.deviations)


def check_eis(
    protocol_kind: str, parameters: Mapping[str, Any], spectra: Sequence[Mapping[str, Any]]
) -> Conformance:
    """Check an EIS run's spectra (the pipeline's per-spectrum details: ``spectrum``,
    ``frequency_range_hz``, ``labels.time_second``) against its protocol."""
    ck = _Checker()
    p = {k: num(v) for k, v in parameters.items() if not isinstance(v, list)}

    def bound(s: Mapping[str, Any], i: int) -> float | None:
        rng = s.get("frequency_range_hz")
        return num(rng[i]) if rng else None

    for key, i, label in (
        ("eis_frequency_max_Hz", 1, "highest frequency"),
        ("eis_frequency_min_Hz", 0, "lowest frequency"),
    ):
        expected = p.get(key)
        if expected:
            found = [(int(s["spectrum"]), bound(s, i)) for s in spectra]
            ck.run(
                "eis_frequency_range",
                key,
                expected,
                "Hz",
                found,
                _within(expected, RELATIVE_EIS),
                label,
                "spectrum",
            )
    interval = p.get("eis_interval_h")
    if interval and protocol_kind == "insitu_eis":

        def time(s: Mapping[str, Any], key: str) -> float | None:
            return num((s.get("labels") or {}).get(key))

        gaps = []
        for a, b in pairwise(spectra):
            # from the end of one spectrum (its start when no end is recorded) to the start
            # of the next: the cycling between two in-situ spectra
            end = time(a, "time_end_second")
            end = end if end is not None else time(a, "time_second")
            start = time(b, "time_second")
            gap = (start - end) / 3600.0 if start is not None and end is not None else None
            gaps.append((int(b["spectrum"]), gap))
        ck.run(
            "eis_interval",
            "eis_interval_h",
            interval,
            "h",
            gaps,
            _within(interval, RELATIVE_EIS),
            "time since the previous spectrum",
            "spectrum",
        )
    return Conformance(protocol_kind, dict(parameters), ck.checks, ck.deviations)


def check_run(
    protocol_kind: str,
    parameters: Mapping[str, Any],
    data: Mapping[str, Any],
    area_cm2: float | None,
) -> Conformance | None:
    """Check a pipeline result (``Result.to_json()``) against its run's protocol; None when
    the protocol kind has no checks for that analysis (mechanics, CV). An in-situ EIS run
    gives two results: its spectra (frequency range, interval) and its cycling between them
    (the protocol's current density)."""
    kind = data.get("kind")
    if kind == "cycling" and protocol_kind in (*CYCLING_KINDS, "insitu_eis"):
        tables = data.get("tables", {})
        metrics = data.get("summary", {}).get("metrics", {})
        return check_cycling(
            protocol_kind,
            parameters,
            area_cm2=area_cm2,
            half_cycles=tables.get("half_cycles", []),
            cycles=tables.get("cycles", []),
            short_circuit_cycle=metrics.get("short_circuit_cycle"),
        )
    if kind == "eis" and protocol_kind in EIS_KINDS:
        return check_eis(protocol_kind, parameters, data.get("summary", {}).get("details", []))
    return None
