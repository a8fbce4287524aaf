"""The two signs of a weak half-cell soft short (issue 13): the CE stepping above its own
scatter (``ce_rise``) and the voltage falling in the rest after a stripping
(``rest_voltage_decay``), each against healthy cells that look alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from analysis import pipelines
from analysis.cycling.cycle_rules import CycleView, ce_rise, ce_scatter
from analysis.cycling.parameters import CyclingParameters
from analysis.simulate.cells import CellSpec, Realism, generate_cell

# A healthy half cell of the corpus (seed 53, cell 53000201: scatter 1.4e-3) whose CE happened
# to repeat 0.9785 three times: a 6-cycle MAD fell to the 5e-4 floor and 0.9815, 0.9831 read
# as a soft short at cycle 41.
HEALTHY_WITH_TIES = [  # cycles 2 to 49
    0.9703, 0.9725, 0.9771, 0.9753, 0.9748, 0.9784, 0.9810, 0.9769, 0.9807, 0.9778,
    0.9799, 0.9792, 0.9780, 0.9813, 0.9658, 1.0002, 0.9800, 0.9804, 0.9669, 0.9942,
    0.9793, 0.9792, 0.9803, 0.9803, 0.9801, 0.9824, 0.9795, 0.9792, 0.9794, 0.9790,
    0.9809, 0.9815, 0.9785, 0.9785, 0.9785, 0.9778, 0.9783, 0.9821, 0.9782, 0.9815,
    0.9831, 0.9817, 0.9807, 0.9817, 0.9776, 0.9781, 0.9805, 0.9796,
]  # fmt: skip
ONSET = 41 - 2  # index of cycle 41


def _view(ce: list[float], first: int = 2) -> CycleView:
    n = len(ce)
    return CycleView(
        number=np.arange(first, first + n, dtype=np.int64),
        usable=np.ones(n, dtype=bool),
        ce=np.asarray(ce),
        first_mAh=np.full(n, 0.785),
        second_mAh=0.785 * np.asarray(ce),
        current_mA=np.full(n, 0.785),
        excluded=np.zeros(0, dtype=np.int64),
    )


def test_ce_scatter_does_not_collapse_on_equal_ces() -> None:
    # 30 CEs scattering by 1.4e-3 about a level still rising (conditioning), reported to 4
    # decimals, the last six with three equal values
    rng = np.random.default_rng(13)
    ce = 0.98 - 0.01 * np.exp(-np.arange(30) / 3.0) + rng.normal(0.0, 1.4e-3, 30)
    ce[-6:] = [0.9785, 0.9785, 0.9785, 0.9778, 0.9783, 0.9782]
    ce = np.round(ce, 4)
    window = ce[-6:]
    assert 1.4826 * float(np.median(np.abs(window - np.median(window)))) < 5e-4
    assert 0.7 * 1.4e-3 < ce_scatter(ce) < 1.5 * 1.4e-3


def test_healthy_ce_with_equal_values_is_not_a_rise() -> None:
    assert ce_rise(_view(HEALTHY_WITH_TIES), CyclingParameters()) == []


def test_a_ce_step_of_one_percent_on_the_same_cell_is_a_rise_at_its_onset() -> None:
    ce = HEALTHY_WITH_TIES[:ONSET] + [c + 0.01 for c in HEALTHY_WITH_TIES[ONSET:]]
    events = ce_rise(_view(ce), CyclingParameters())
    assert [e.cycle for e in events] == [41]
    assert events[0].values["scatter"] > 1e-3  # 30 cycles of differences, not 6 equal CEs
    assert events[0].values["limit"] < 0.9815 + 0.01


def test_a_conditioning_trend_judges_nothing() -> None:
    # CE rising by 0.1 % a cycle (a cell still conditioning) then going on rising
    ce = [0.975 + 0.001 * k for k in range(20)]
    assert ce_rise(_view(ce, first=2), CyclingParameters()) == []


def _half(short: bool, rest_s: float) -> Mapping[str, Any]:
    spec = CellSpec(
        "half",
        cycles=16,
        short_kind="soft" if short else None,
        short_onset=10 if short else None,
        cycles_after_short=4,
        realism=Realism(noise_V=0.001, rest_s=rest_s, record_dt_s=60.0),
        short_onset_ohm_cm2=2500.0,
        short_efold_cycles=4.0,
        average_ce=0.985,
        ce_scatter=0.0014,
    )
    cell = generate_cell(spec, 2026)
    run = pipelines.run("cycling", cell.table, {"cell_type": "half", "area_cm2": spec.area_cm2})
    return run.summary


def test_voltage_falling_in_the_rest_after_stripping_is_a_soft_short_at_its_onset() -> None:
    summary = _half(short=True, rest_s=300.0)
    decay = [e for e in summary["short_circuits"] if e["rule"] == "rest_voltage_decay"]
    assert decay and decay[0]["cycle"] == 10, summary["short_circuits"]
    v = decay[0]["values"]
    assert v["drop_V"] > v["limit_V"] >= v["baseline_V"] + 0.02
    assert abs(v["probe_s"] - 300.0) < 0.01  # the protocol's rest
    assert summary["metrics"]["short_circuit_cycle"] == 10


def test_a_healthy_cell_relaxing_in_its_rests_is_not_shorted() -> None:
    summary = _half(short=False, rest_s=300.0)
    assert summary["short_circuits"] == []
