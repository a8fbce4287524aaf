"""What each alert rule finds in a stored result (no analysis here: the rules read the stored
metrics, per-cycle rows, short-circuit events and the parsed table's temperature column).

Each finding is an :class:`Event` whose ``key`` names the event within its rule and test run:
one alert per key (docs/alerts.md, "Idempotency").
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.serial import num
from labdb import models as m
from labdb.table_parts import read_arrow

#: the canonical column of a cell temperature probe (analysis.readers.canonical)
TEMPERATURE_COLUMN = "temperature_t1_celsius"


@dataclass(frozen=True)
class Event:
    key: str
    cycle: int | None
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


def _source(result: m.AnalysisResult) -> dict[str, Any]:
    """Where the evidence comes from: the result (its job), the file, the analysis version."""
    job = result.job
    return {
        "result": str(result.pk),
        "job": str(job.pk),
        "data_file": str(job.data_file_id),
        "data_file_name": job.data_file.original_name,
        "analysis_version": job.analysis_version,
        "cycle_count": result.cycle_count,
    }


def events_for_result(rule: m.AlertRule, result: m.AnalysisResult) -> list[Event]:
    """The events ``rule`` finds in ``result`` (none for kinds checked by the periodic task)."""
    finder = FINDERS.get(rule.kind)
    if finder is None or result.kind != "cycling":
        return []
    return finder(rule, result)


def short_circuit(rule: m.AlertRule, result: m.AnalysisResult) -> list[Event]:
    """The analysis reported a short circuit (``short_circuit_cycle``; the rules that fired at
    that cycle with their evidence, values and thresholds: docs/metrics-cycling.md)."""
    cycle = result.short_circuit_cycle
    if cycle is None:
        return []
    fired = [e for e in result.summary.get("short_circuits", []) if e.get("cycle") == cycle]
    names = sorted({str(e.get("rule")) for e in fired}) or ["(rule not recorded)"]
    run = result.test_run
    return [
        Event(
            key="short_circuit",
            cycle=cycle,
            message=f"{run.label}: short circuit detected at cycle {cycle} ({', '.join(names)})",
            evidence={
                **_source(result),
                "cycle": cycle,
                "analysis_rules": fired,
                "failure_mode": result.summary.get("metrics", {}).get("failure_mode"),
            },
        )
    ]


def _counted_cycles(
    result: m.AnalysisResult, *, every: bool = False
) -> list[tuple[int, float | None, dict[str, Any]]]:
    """(cycle, CE, values) of the complete cycles counted in the metrics, in order;
    ``every``: all stored cycles. While the test runs, the file's last cycle is left out: it
    may still be running (a stripping cut by the end of the file looks like a complete cycle
    with a tiny CE), so it is judged once a later cycle has begun or the run has finished."""
    rows = list(
        m.CycleResult.objects.of_result(result)
        .order_by("cycle")
        .values_list("cycle", "coulombic_efficiency", "values")
    )
    if every:
        return rows
    if rows and result.test_run.status != m.TestRun.Status.FINISHED:
        rows = rows[:-1]
    return [
        (c, ce, values)
        for c, ce, values in rows
        if values.get("complete", True) and not values.get("excluded_from_metrics", False)
    ]


def low_ce(rule: m.AlertRule, result: m.AnalysisResult) -> list[Event]:
    """The first ``cycles`` consecutive counted cycles whose coulombic efficiency (stripping /
    plating, or discharge / charge: docs/metrics-cycling.md) is below ``threshold``."""
    assert rule.threshold is not None and rule.cycles is not None
    streak: list[tuple[int, float]] = []
    for cycle, ce, _ in _counted_cycles(result):
        value = num(ce)
        if value is not None and value < rule.threshold:
            streak.append((cycle, value))
            if len(streak) >= rule.cycles:
                break
        else:
            streak = []
    if len(streak) < rule.cycles:
        return []
    first, last = streak[0][0], streak[-1][0]
    values = ", ".join(f"{100 * v:.2f} %" for _, v in streak)
    return [
        Event(
            key="low_ce",
            cycle=last,
            message=f"{result.test_run.label}: CE below {100 * rule.threshold:g} % in "
            f"{rule.cycles} consecutive cycles ({first}-{last}: {values})",
            evidence={
                **_source(result),
                "cycles": [c for c, _ in streak],
                "coulombic_efficiency": [v for _, v in streak],
                "threshold": rule.threshold,
                "cycles_required": rule.cycles,
            },
        )
    ]


def low_retention(rule: m.AlertRule, result: m.AnalysisResult) -> list[Event]:
    """Capacity retention (discharge capacity over the reference cycle's, the stored run metric)
    below ``threshold``; the evidence names the first cycle below it."""
    assert rule.threshold is not None
    retention = num(result.capacity_retention)
    if retention is None or retention >= rule.threshold:
        return []
    first = None
    for cycle, _, values in _counted_cycles(result):
        value = num(values.get("capacity_retention"))
        if value is not None and value < rule.threshold:
            first = (cycle, value)
            break
    cycle = first[0] if first else result.cycle_count
    reference = result.summary.get("metrics", {}).get("reference_cycle")
    return [
        Event(
            key="low_retention",
            cycle=cycle,
            message=f"{result.test_run.label}: capacity retention {100 * retention:.1f} % is "
            f"below {100 * rule.threshold:g} % (first below at cycle {cycle})",
            evidence={
                **_source(result),
                "capacity_retention": retention,
                "first_cycle_below": cycle,
                "retention_at_first_cycle_below": first[1] if first else None,
                "reference_cycle": reference,
                "threshold": rule.threshold,
            },
        )
    ]


def temperature(rule: m.AlertRule, result: m.AnalysisResult) -> list[Event]:
    """The first recorded cell temperature (``temperature_t1_celsius`` of the parsed table)
    outside [min_celsius, max_celsius]; nothing when the file records no temperature."""
    parsed = result.job.parsed_table
    if parsed is None or TEMPERATURE_COLUMN not in parsed.columns:
        return []
    names = [
        TEMPERATURE_COLUMN,
        *(["test_time_second"] if "test_time_second" in parsed.columns else []),
    ]
    table = read_arrow(parsed.sha256, names)
    temps = table.column(TEMPERATURE_COLUMN).to_numpy(zero_copy_only=False)
    low = -math.inf if rule.min_celsius is None else rule.min_celsius
    high = math.inf if rule.max_celsius is None else rule.max_celsius
    outside = np.flatnonzero(np.isfinite(temps) & ((temps < low) | (temps > high)))
    if not outside.size:
        return []
    row = int(outside[0])
    value = float(temps[row])
    time_s = float(table.column("test_time_second")[row].as_py()) if len(names) > 1 else None
    cycle = None
    if time_s is not None:
        for c, _, values in _counted_cycles(result, every=True):
            start, end = num(values.get("start_time_s")), num(values.get("end_time_s"))
            if start is not None and end is not None and start <= time_s <= end:
                cycle = c
                break
    where = f" at {time_s / 3600:.2f} h" if time_s is not None else ""
    return [
        Event(
            key="temperature",
            cycle=cycle,
            message=f"{result.test_run.label}: temperature {value:.1f} °C{where} is outside "
            f"{rule.describe().split('outside ', 1)[1]}",
            evidence={
                **_source(result),
                "temperature_celsius": float(value),
                "row": row + 1,
                "test_time_second": time_s,
                "cycle": cycle,
                "min_celsius": rule.min_celsius,
                "max_celsius": rule.max_celsius,
                "parsed_table": parsed.sha256,
            },
        )
    ]


def no_data_event(rule: m.AlertRule, run: m.TestRun, now: dt.datetime) -> Event | None:
    """A running test run whose newest file is older than ``hours`` (one event per silence:
    the key holds the time of the last data, so new data and a new silence raise a new
    alert)."""
    assert rule.hours is not None
    last = run.files.order_by("-uploaded_at").first()
    if last is None:
        return None
    silent_h = (now - last.uploaded_at).total_seconds() / 3600
    if silent_h <= rule.hours:
        return None
    return Event(
        key=f"no_data:{last.uploaded_at.isoformat(timespec='seconds')}",
        cycle=None,
        message=f"{run.label}: no new data for {silent_h:.1f} h (limit {rule.hours:g} h); "
        f"last file {last.original_name} at {last.uploaded_at:%Y-%m-%d %H:%M} UTC",
        evidence={
            "last_data_at": last.uploaded_at.isoformat(),
            "last_data_file": str(last.pk),
            "last_data_file_name": last.original_name,
            "hours_without_data": round(silent_h, 3),
            "hours": rule.hours,
        },
    )


FINDERS = {
    m.AlertRule.Kind.SHORT_CIRCUIT: short_circuit,
    m.AlertRule.Kind.LOW_CE: low_ce,
    m.AlertRule.Kind.LOW_RETENTION: low_retention,
    m.AlertRule.Kind.TEMPERATURE: temperature,
}
