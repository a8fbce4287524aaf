"""Per-channel health: the cells one instrument channel ran, across formulations and studies,
so that a channel that drifts or reads high is not taken for a material effect.

:func:`channel_list` lists the (instrument, channel) pairs with runs; :func:`channel_health`
gives one channel's cycling runs (cell, formulation, start, average CE with its instrument
bound, cycles to short, protocol deviations), the trend of average CE over the start dates
(Theil-Sen, Kendall's tau) and the channel's offset from the same formulations' cells on
other channels (:mod:`analysis.statistics.drift`, docs/statistics.md "Channel health").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from analysis.statistics import Summary, Trend, describe, trend
from labdb import models as m
from labdb.selectors import results as sel
from labdb.selectors.access import visible
from labdb.selectors.uncertainty import cycling_bounds


@dataclass(frozen=True)
class ChannelRun:
    run: m.TestRun
    cell: m.Cell
    formulation: str
    started: dt.datetime | None
    average_ce: float | None
    average_ce_bound: float | None
    cycles: int | None
    short_circuit_cycle: int | None
    deviations: int | None
    #: average CE minus the mean of the same formulation's cells on other channels
    residual: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "test_run": self.run.label,
            "cell": self.cell.label,
            "formulation": self.formulation,
            "started_at": self.started.isoformat() if self.started else None,
            "average_coulombic_efficiency": self.average_ce,
            "average_coulombic_efficiency_bound": self.average_ce_bound,
            "cycles": self.cycles,
            "short_circuit_cycle": self.short_circuit_cycle,
            "protocol_deviations": self.deviations,
            "residual_from_other_channels": self.residual,
        }


@dataclass
class ChannelHealth:
    instrument: m.Instrument
    channel: str
    runs: list[ChannelRun]
    trend: Trend
    offset: Summary
    formulations: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        i = self.instrument
        return {
            "instrument": i.label,
            "channel": self.channel,
            "calibrated_on": i.calibrated_on.isoformat() if i.calibrated_on else None,
            "accuracy": {k: getattr(i, k) for k in m.Instrument.ACCURACY_FIELDS[:-1]},
            "formulations": self.formulations,
            "runs": [r.to_dict() for r in self.runs],
            "average_ce_trend": {**self.trend.to_dict(), "unit": "fraction per day"},
            "average_ce_offset_from_other_channels": self.offset.to_dict(),
            "definitions": "docs/statistics.md#channel-health",
        }


def channel_list(user: Any) -> list[dict[str, Any]]:
    """(instrument, channel, runs, cells) of every channel with a cell's run."""
    rows = (
        visible(m.TestRun, user)
        .filter(instrument__isnull=False, cell__isnull=False)
        .values_list("instrument__pk", "instrument__label", "channel", "cell_id")
    )
    out: dict[tuple[Any, str], dict[str, Any]] = {}
    for pk, label, channel, cell in rows:
        entry = out.setdefault(
            (pk, channel),
            {
                "instrument": label,
                "instrument_id": pk,
                "channel": channel,
                "runs": 0,
                "cells": set(),
            },
        )
        entry["runs"] += 1
        entry["cells"].add(cell)
    return [
        {**e, "cells": len(e["cells"])}
        for _, e in sorted(out.items(), key=lambda kv: (kv[1]["instrument"], kv[1]["channel"]))
    ]


def _long_term_results(user: Any, runs: Any) -> list[m.AnalysisResult]:
    qs = (
        visible(m.AnalysisResult, user)
        .filter(kind="cycling", test_run__in=runs)
        .select_related(
            "test_run__cell__anode_batch__formulation", "test_run__protocol", "test_run__instrument"
        )
    )
    return sel.latest_per_run(qs)


def channel_health(user: Any, instrument: m.Instrument, channel: str) -> ChannelHealth:
    """The health view of ``instrument``'s ``channel`` (module docstring)."""
    runs = visible(m.TestRun, user).filter(
        cell__isnull=False, protocol__kind__in=sel.LONG_TERM_KINDS
    )
    here = _long_term_results(user, runs.filter(instrument=instrument, channel=channel))
    cells = [r.test_run.cell for r in here if r.test_run.cell is not None]
    infos = sel.cell_infos(cells) if cells else {}
    formulations = sorted({i.formulation for i in infos.values()})
    # the same formulations' cells of the same kind measured on any other channel
    others = _long_term_results(
        user,
        runs.filter(cell__anode_batch__formulation__name__in=formulations).exclude(
            instrument=instrument, channel=channel
        ),
    )
    peers: dict[tuple[str, str], list[float]] = {}
    for r in others:
        if r.average_coulombic_efficiency is None or r.test_run.cell is None:
            continue
        cell = r.test_run.cell
        key = (cell.anode_batch.formulation.name, cell.kind)
        peers.setdefault(key, []).append(r.average_coulombic_efficiency)
    rows = []
    for r in sorted(here, key=lambda r: (r.test_run.started_at or r.created_at, r.test_run.label)):
        cell = r.test_run.cell
        assert cell is not None
        info = infos[cell.pk]
        ref = peers.get((info.formulation, cell.kind), [])
        value = r.average_coulombic_efficiency
        bounds = cycling_bounds(r)
        rows.append(
            ChannelRun(
                run=r.test_run,
                cell=cell,
                formulation=info.formulation,
                started=r.test_run.started_at,
                average_ce=value,
                average_ce_bound=bounds.average_ce if bounds else None,
                cycles=r.cycle_count,
                short_circuit_cycle=r.short_circuit_cycle,
                deviations=r.deviation_count,
                residual=value - sum(ref) / len(ref) if ref and value is not None else None,
            )
        )
    dated = [(x.started, x.average_ce) for x in rows if x.started and x.average_ce is not None]
    t0 = min((d for d, _ in dated), default=None)
    days = [(d - t0).total_seconds() / 86400.0 for d, _ in dated] if t0 else []
    return ChannelHealth(
        instrument=instrument,
        channel=channel,
        runs=rows,
        trend=trend(days, [v for _, v in dated]),
        offset=describe(x.residual for x in rows),
        formulations=formulations,
    )
