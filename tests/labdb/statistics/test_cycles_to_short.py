"""Cycles to short are counted in the order the cycles ran, not read from the vendor's cycle
labels: a cycler that gives an EIS or a partial step a cycle number of its own skips numbers,
and a survival curve that mixed labels (events) with counts (censored cells) would put a
shorted cell later than the healthy cells it ran beside."""

from __future__ import annotations

import uuid

from labdb import models as m
from labdb.selectors.cell_infos import CellInfo
from labdb.selectors.headline import CellMetrics
from labdb.selectors.statistics import survival_data


def _cell_with(result: m.AnalysisResult) -> tuple[CellInfo, CellMetrics]:
    cell = m.Cell(id=uuid.uuid4(), label=f"C-{uuid.uuid4().hex[:6]}", kind="half")
    cm = CellMetrics(cell=cell, result=None)
    cm.take_main(result, None)
    return CellInfo(cell=cell, formulation="F", seeds="Mg", binder="PVDF"), cm


def test_a_short_at_vendor_label_14_is_the_tenth_cycle_run() -> None:
    # vendor labels 1..4, then 5-8 taken by EIS steps, then cycles 9..14: the short's onset is
    # the vendor's cycle 14, the tenth cycle run (cycle_life 9, counted in order)
    shorted = _cell_with(
        m.AnalysisResult(kind="cycling", cycle_count=10, short_circuit_cycle=14, cycle_life=9)
    )
    healthy = _cell_with(
        m.AnalysisResult(kind="cycling", cycle_count=12, short_circuit_cycle=None, cycle_life=12)
    )
    infos = [shorted[0], healthy[0]]
    metrics = {shorted[0].cell.id: shorted[1], healthy[0].cell.id: healthy[1]}

    assert shorted[1].short_circuit_cycle == 14  # what the page names, as the cycler does
    assert shorted[1].cycles_to_short == 10
    assert healthy[1].cycles_to_short is None
    assert survival_data(infos, metrics) == ([10.0, 12.0], [True, False])


def test_a_result_without_cycle_life_falls_back_to_the_reported_cycle() -> None:
    info, cm = _cell_with(
        m.AnalysisResult(kind="cycling", cycle_count=5, short_circuit_cycle=4, cycle_life=None)
    )
    assert survival_data([info], {info.cell.id: cm}) == ([4.0], [True])
