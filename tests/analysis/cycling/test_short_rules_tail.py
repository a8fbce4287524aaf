"""``stripping_tail`` (issue 13): a half-cell filament takes ``V / Rs`` of the current, most near
the stripping cut-off, so the charge a stripping passes in its de-alloying tail grows; trapped Li
coming back is stripped on the Li plateau and leaves the tail alone. The rule finds two tail
excursions within four cycles at the first of them, and leaves alone steady tails, a single
long tail, a slow conditioning of the seed and a rate step."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import pipelines
from analysis.cycling import shorts
from analysis.cycling.cycle_rules import CycleView
from analysis.cycling.parameters import DEFAULT_RULES, CyclingParameters
from analysis.cycling.stripping_tail import stripping_tail
from analysis.simulate.cells import CellSpec, Realism, generate_cell

PARAMS = CyclingParameters()
TAIL_mAh = 4e-3  # the de-alloying tail of a 1 mAh/cm2 cell on a 0.785 cm2 seed (0.5 %)


def _view(tails: np.ndarray, current: np.ndarray | None = None) -> tuple[CycleView, np.ndarray]:
    n = tails.size
    ce = np.full(n, 0.985)
    view = CycleView(
        number=np.arange(2, n + 2, dtype=np.int64),
        usable=np.ones(n, dtype=bool),
        ce=ce,
        first_mAh=np.full(n, 1.0),
        second_mAh=ce.copy(),
        current_mA=np.full(n, 1.0) if current is None else current,
        excluded=np.zeros(0, dtype=np.int64),
    )
    return view, tails


def _steady(rng: np.random.Generator, n: int, relative: float) -> np.ndarray:
    return TAIL_mAh * (1.0 + rng.normal(0.0, relative, n))


def test_steady_tails_fire_rarely() -> None:
    # 400 healthy series of 50 cycles whose tail scatters by 2 %: two tails more than 5 scatters
    # high within 4 cycles almost never happen
    rng = np.random.default_rng(5)
    fired = sum(bool(stripping_tail(*_view(_steady(rng, 50, 0.02)), PARAMS)) for _ in range(400))
    assert fired <= 1


def test_two_long_tails_within_four_cycles_fire_at_the_first() -> None:
    rng = np.random.default_rng(1)
    tails = _steady(rng, 40, 0.01)
    tails[24] *= 1.3  # the filament in contact near the cut-off (cycle 26)
    tails[27] *= 1.5  # and again three cycles later (cycle 29), open in between
    events = stripping_tail(*_view(tails), PARAMS)
    assert [(e.cycle, e.rule) for e in events] == [(26, "stripping_tail")]
    assert events[0].values["detected_at_cycle"] == 29
    assert events[0].values["excursions"] == 2


def test_one_long_tail_does_not_fire() -> None:
    rng = np.random.default_rng(2)
    tails = _steady(rng, 40, 0.01)
    tails[20] *= 3.0
    assert stripping_tail(*_view(tails), PARAMS) == []


def test_a_slow_conditioning_of_the_seed_does_not_fire() -> None:
    # the de-alloying capacity growing 1 % a cycle for 40 cycles (a seed still activating)
    rng = np.random.default_rng(3)
    tails = TAIL_mAh * 1.01 ** np.arange(40) * (1.0 + rng.normal(0.0, 0.01, 40))
    assert stripping_tail(*_view(tails), PARAMS) == []


def test_a_rate_step_is_not_compared_with_the_other_rate() -> None:
    # five cycles at half the current have a tail twice as long (less ohmic drop, more of the
    # alloy reached before the cut-off); they are judged only against their own rate
    rng = np.random.default_rng(4)
    tails = _steady(rng, 40, 0.01)
    current = np.ones(40)
    current[20:25] = 0.5
    tails[20:25] *= 2.0
    assert stripping_tail(*_view(tails, current), PARAMS) == []


def _tails(
    spec: CellSpec, seed: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[np.ndarray, np.ndarray, list[dict[str, object]]]:
    """CE and stripping tail (mAh) per cycle of a generated cell, and its short-circuit events:
    the tails as the pipeline hands them to the rule."""
    seen: list[np.ndarray] = []

    def recording(cycles: CycleView, tail_mAh: np.ndarray, params: CyclingParameters) -> list:
        seen.append(tail_mAh)
        return stripping_tail(cycles, tail_mAh, params)

    monkeypatch.setattr(shorts, "stripping_tail", recording)
    cell = generate_cell(spec, seed)
    run = pipelines.run("cycling", cell.table, {"cell_type": "half", "area_cm2": spec.area_cm2})
    ce = run.tables["cycles"]["coulombic_efficiency"].to_numpy(dtype=float, na_value=np.nan)
    return ce, seen[0], run.summary["short_circuits"]


def test_trapped_li_coming_back_moves_the_ce_not_the_tail(monkeypatch: pytest.MonkeyPatch) -> None:
    # a healthy generated cell with two trapped-Li events (CE ~0.985 then ~1.01): the CE jumps
    # by a per cent, the tail (measured, per cycle) stays within a few per cent of its median
    spec = CellSpec("half", 30, realism=Realism(ce_recovery_events=2, noise_V=5e-4))
    ce, tails, events = _tails(spec, 11, monkeypatch)
    steady = tails[3:-1]
    assert float(np.nanmax(np.abs(np.diff(ce[2:-1])))) > 0.01
    assert float(np.nanmax(np.abs(steady / np.nanmedian(steady) - 1.0))) < 0.05
    assert events == []


def test_a_filament_that_also_drains_the_plating_is_found_at_its_onset() -> None:
    # a generated soft short (onset cycle 14, 1200 ohm cm2 falling e-fold every 3 cycles,
    # intermittent contact) whose CE goes low then high after the onset (0.973, 1.004, 0.965,
    # 1.003: the filament drains the plating too, shaped like trapped Li coming back): the CE
    # rules find it at cycle 20, six cycles late; the tail at its onset
    spec = CellSpec(
        "half",
        30,
        short_kind="soft",
        short_onset=14,
        cycles_after_short=8,
        current_density_mA_cm2=2.0,
        strip_cutoff_V=0.5,
        asr_ohm_cm2=25.0,
        short_onset_ohm_cm2=1200.0,
        short_efold_cycles=3.0,
        ce_scatter=1.2e-3,
        average_ce=0.98,
    )
    table = generate_cell(spec, 11).table
    params = {"cell_type": "half", "area_cm2": spec.area_cm2}
    run = pipelines.run("cycling", table, params)
    assert run.summary["metrics"]["short_circuit_cycle"] == 14
    assert run.summary["metrics"]["short_circuit_rules"] == ["stripping_tail"]
    without = [r for r in DEFAULT_RULES["half"] if r != "stripping_tail"]
    ce_only = pipelines.run("cycling", table, {**params, "short_circuit_rules": without})
    assert ce_only.summary["metrics"]["short_circuit_cycle"] == 20
