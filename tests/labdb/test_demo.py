"""The demo study holds the paper's catalog and loading it twice changes nothing."""

from typing import Any

import numpy as np
import pytest
from django.core.management import call_command

from analysis.simulate.study import demo_half_cell_ce
from labdb import models as m
from tests.labdb.statistics.cell_summary_checks import check_cell_summaries_on_the_demo_study

MODELS = [
    m.Material,
    m.MaterialLot,
    m.Formulation,
    m.FormulationComponent,
    m.ElectrodeBatch,
    m.ProcessStep,
    m.Cell,
    m.Instrument,
    m.TestProtocol,
    m.HistoryEntry,
]


def _state() -> dict[str, list[tuple[str, ...]]]:
    out = {}
    for model in MODELS:
        rows = model._default_manager.values_list(
            *(["label"] if hasattr(model, "label") else ["pk"])
        )
        out[model.__name__] = sorted(map(str, rows))
    return out


@pytest.mark.django_db
def test_demo_twice_gives_the_same_catalog() -> None:
    call_command("demo", "--catalog-only")
    first = _state()
    call_command("demo", "--catalog-only")
    assert _state() == first


@pytest.mark.django_db
def test_demo_holds_the_papers_materials_and_cells() -> None:
    call_command("demo", "--catalog-only")
    d50 = {
        lot.material.name: lot.d50_nm
        for lot in m.MaterialLot.objects.filter(material__category="seed_metal")
    }
    assert d50 == {"Mg": 800.0, "Ag": 30.0, "Sn": 150.0}
    assert {b.measured_thickness_um for b in m.ElectrodeBatch.objects.all()} == {5.0}
    binders = set(
        m.FormulationComponent.objects.filter(role="binder").values_list(
            "lot__material__name", flat=True
        )
    )
    assert binders == {"Elastane", "PVDF"}
    labels = set(m.Cell.objects.values_list("label", flat=True))
    for seed in ("Mg-E", "Ag-E", "Sn-E", "MgAgSn-E", "MgAgSn-P"):
        assert f"{seed}-HC1" in labels
    full = m.Cell.objects.get(kind="full")
    assert full.cathode_lot.material.formula == "LiNi0.8Co0.1Mn0.1O2"
    assert full.cathode_coating_lot.material.name == "LiNbO3"
    ps = m.TestProtocol.objects.get(kind="plating_stripping").parameters
    assert (ps["current_density_mA_cm2"], ps["areal_capacity_mAh_cm2"]) == (1.0, 1.0)
    cyc = m.TestProtocol.objects.get(kind="galvanostatic").parameters
    assert (cyc["c_rate"], cyc["one_c_current_density_mA_cm2"]) == (0.5, 2.0)


@pytest.mark.django_db(transaction=True)
def test_demo_data_goes_through_the_pipeline_and_answers_the_papers_questions(
    settings: Any, tmp_path: Any, capsys: Any
) -> None:
    """The simulated files are parsed and analysed like real data; the stored metrics show
    the paper's story (Fig. 2, 3, 5, 6), loading again adds nothing, and the cell summaries
    and /compare/ statistics equal the Python summary on the study."""
    settings.BLOB_DIR = tmp_path / "blobs"
    call_command("demo")
    assert "0 failed analyses" in capsys.readouterr().out
    assert m.AnalysisJob.objects.exclude(status="succeeded").count() == 0
    # every cycling result has its dQ/dV (a job of its own that followed it), all half-cycles
    results = m.AnalysisResult.objects.filter(kind__in=["cycling", "dqdv"])
    by_run: dict[Any, dict[str, m.AnalysisResult]] = {}
    for r in results:
        by_run.setdefault(r.test_run_id, {})[r.kind] = r
    assert len(by_run) >= 10 and all(set(v) == {"cycling", "dqdv"} for v in by_run.values())
    for v in by_run.values():
        halves = v["cycling"].tables.get(name="half_cycles").rows
        assert v["dqdv"].summary["half_cycles"] == halves, v["cycling"].test_run.label

    def cycling(label: str) -> m.AnalysisResult:
        return m.AnalysisResult.objects.get(test_run__label=label, kind="cycling")

    ice = {
        seed: cycling(f"{seed}-HC1-PS-1mA-1mAh").initial_coulombic_efficiency
        for seed in ("Mg-E", "Ag-E", "Sn-E", "MgAgSn-E")
    }
    for seed, target in {"Mg-E": 0.685, "Ag-E": 0.762, "Sn-E": 0.727, "MgAgSn-E": 0.845}.items():
        assert ice[seed] == pytest.approx(target, abs=0.015), seed
    for seed in ("Mg-E", "Ag-E", "Sn-E"):
        assert cycling(f"{seed}-HC1-PS-1mA-1mAh").short_circuit_cycle is not None
    multi = cycling("MgAgSn-E-HC1-PS-1mA-1mAh")
    assert multi.short_circuit_cycle is None and multi.cycle_count >= 230
    true_ce = demo_half_cell_ce("MgAgSn-E-HC1", seed=0)  # the CEs the demo cell was drawn with
    first, last = (multi.summary.get("metrics") or {}).get(
        "average_coulombic_efficiency_window"
    ) or (
        2,
        multi.cycle_count,
    )
    assert multi.average_coulombic_efficiency == pytest.approx(
        float(np.mean(true_ce[first - 1 : last])), abs=1e-4
    )
    assert multi.total_time_h == pytest.approx(470, rel=0.05)
    full = cycling("MgAgSn-E-FC1-CYC-0.5C")
    assert full.cycle_count == 100 and full.capacity_retention == pytest.approx(0.70, abs=0.03)
    assert cycling("MgAgSn-E-FC1-FORM-0.1C").initial_coulombic_efficiency == pytest.approx(
        0.85, abs=0.015
    )
    rct = {
        seed: m.EISSpectrumFit.objects.get(result__test_run__label=f"{seed}-HC1-EIS-10cyc").rct_ohm
        for seed in ("Mg-E", "Ag-E", "Sn-E", "MgAgSn-E")
    }
    assert min(rct, key=rct.__getitem__) == "MgAgSn-E"
    pvdf = list(
        m.EISSpectrumFit.objects.filter(result__test_run__label="MgAgSn-P-HC2-EIS-insitu")
        .order_by("spectrum")
        .values_list("rsei_ohm", flat=True)
    )
    elastane = set(
        m.EISSpectrumFit.objects.filter(
            result__test_run__label="MgAgSn-E-HC2-EIS-insitu"
        ).values_list("rsei_ohm", flat=True)
    )
    assert elastane == {None} and None not in pvdf and pvdf[-1] > 2 * pvdf[0]
    peel = {
        b: m.AnalysisResult.objects.get(test_run__label=f"MgAgSn-{b}-B1-PEEL-180").summary[
            "peel_strength_gf_per_mm"
        ]
        for b in ("Elastane", "PVDF")
    }
    assert peel["Elastane"] == pytest.approx(20, rel=0.1) and peel["PVDF"] == pytest.approx(
        2, rel=0.1
    )

    before = (m.DataFile.objects.count(), m.AnalysisJob.objects.count())
    call_command("demo")
    assert "(0 new)" in capsys.readouterr().out
    assert (m.DataFile.objects.count(), m.AnalysisJob.objects.count()) == before

    # the database's cell summaries and the /compare/ statistics on this analysed study (then
    # a re-analysis and a removed file): tests/labdb/statistics/cell_summary_checks.py
    check_cell_summaries_on_the_demo_study()
