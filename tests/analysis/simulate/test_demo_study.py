"""The simulated demo study: real-format files that the readers parse and whose analysis shows
the paper's numbers (ICE per seed, shorts of the single seeds, 230+ cycles for MgAgSn-Elastane
at the average CE the cell was generated with, drawn around the paper's 99.62 %; 85 % ICE and
70 % retention for the full cell, growing RSEI with PVDF)."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.readers import read
from analysis.simulate import DemoFile, write_demo_study
from analysis.simulate.study import demo_half_cell_ce

AREA_CM2 = 0.785
ICE_TARGETS = {"Mg-E": 0.685, "Ag-E": 0.762, "Sn-E": 0.727, "MgAgSn-E": 0.845}


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> list[DemoFile]:
    return write_demo_study(tmp_path_factory.mktemp("demo"), seed=0)


def _by(study: list[DemoFile], cell: str, protocol: str) -> DemoFile:
    return next(f for f in study if f.cell_label == cell and f.protocol_label == protocol)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_study_has_one_file_per_test_run_with_catalog_labels(study: list[DemoFile]) -> None:
    cells = {f.cell_label for f in study}
    assert cells == {f"{p}-HC{i}" for p in ICE_TARGETS | {"MgAgSn-P": 0} for i in (1, 2)} | {
        "MgAgSn-E-FC1"
    }
    protocols = {f.protocol_label for f in study}
    assert protocols == {
        "PS-1mA-1mAh",
        "FORM-0.1C",
        "CYC-0.5C",
        "RATE-0.1-1C",
        "EIS-POST",
        "EIS-INSITU-10min",
    }
    assert {f.instrument_label for f in study} == {"BCS-805-1", "VSP-300-1", "Arbin-LBT-1"}
    post = [f for f in study if f.protocol_label == "EIS-POST"]
    assert sorted((f.cell_label, f.after_cycles) for f in post) == sorted(
        (f"{p}-HC1", n) for p in [*ICE_TARGETS, "MgAgSn-P"] for n in (5, 10)
    )
    assert len({f.path for f in study}) == len(study)


def test_every_file_is_read_from_its_content_as_the_right_kind(study: list[DemoFile]) -> None:
    for demo in study:
        result = read(demo.path)
        assert result.kind == demo.kind, demo.path.name
        expected_format = "arbin" if demo.instrument_label == "Arbin-LBT-1" else "biologic-mpt"
        assert result.format == expected_format, demo.path.name
        assert demo.path.stat().st_size < 6_000_000, demo.path.name
        table = result.table
        if demo.kind == "eis":
            sizes = table.groupby("spectrum").size()
            n_spectra = 11 if demo.protocol_label == "EIS-INSITU-10min" else 1
            assert len(sizes) == n_spectra, demo.path.name
            assert (sizes == 71).all()  # 1 MHz to 0.1 Hz, 10 points per decade
            assert table["frequency_hz"].max() == pytest.approx(1e6)
            assert table["frequency_hz"].min() == pytest.approx(0.1)
            assert (table["z_imag_ohm"] < 0).mean() > 0.9  # capacitive arcs
        else:
            time_h = table["test_time_second"].iloc[-1] / 3600
            # every 120 s (half cells) or 60 s (Arbin), plus voltage changes and step ends
            assert 25 * time_h < len(table) < 100 * time_h, demo.path.name
            assert not result.warnings, (demo.path.name, result.warnings)


def test_the_insitu_file_keeps_potential_current_and_sequence(study: list[DemoFile]) -> None:
    demo = _by(study, "MgAgSn-P-HC2", "EIS-INSITU-10min")
    table = read(demo.path).table
    assert {"potential_volt", "current_ampere", "time_second", "sequence"} <= set(table.columns)
    assert sorted(table["sequence"].unique()) == list(range(1, 12))
    assert table.groupby("spectrum")["time_second"].first().is_monotonic_increasing
    # the galvanostatic rows between the spectra: plating then stripping at 1 mA/cm2
    text = demo.path.read_text(encoding="cp1252").splitlines()
    assert text[0] == "EC-Lab ASCII FILE" and text[3] == "Modulo Bat"
    header = int(text[1].split(":")[1])
    rows = pd.DataFrame(
        [line.split("\t") for line in text[header:]],
        columns=text[header - 1].rstrip("\t").split("\t"),
    ).apply(pd.to_numeric)
    dc = rows[rows["freq/Hz"] == 0]
    assert set(np.round(dc["I/mA"], 3)) == {-0.785, 0.785}
    assert dc["Ewe/V"].iloc[-1] == pytest.approx(1.0)  # stripping ends at the cut-off


def test_same_seed_same_bytes_other_seed_other_data(study: list[DemoFile], tmp_path: Path) -> None:
    again = write_demo_study(tmp_path / "again", seed=0)
    assert [_digest(f.path) for f in again] == [_digest(f.path) for f in study]
    other = write_demo_study(tmp_path / "other", seed=1)
    assert _digest(other[0].path) != _digest(study[0].path)


needs_cycling = pytest.mark.skipif(
    importlib.util.find_spec("analysis.cycling") is None,
    reason="analysis.cycling (the cycling analysis) is not available",
)


def _analyze(demo: DemoFile, cell_type: str) -> dict[str, object]:
    from analysis.cycling import analyze_cycling

    table = read(demo.path).table
    kwargs = {} if cell_type == "half" else {"one_c_current_density_mA_cm2": 2.0}
    result = analyze_cycling(table, cell_type=cell_type, area_cm2=AREA_CM2, **kwargs)  # type: ignore[arg-type]
    return dict(result.metrics)


@needs_cycling
def test_half_cells_show_the_papers_ice_shorts_and_cycle_life(study: list[DemoFile]) -> None:
    metrics = {
        f.cell_label: _analyze(f, "half") for f in study if f.protocol_label == "PS-1mA-1mAh"
    }
    for cell, m in metrics.items():
        prefix = cell.rsplit("-", 1)[0]
        if prefix in ICE_TARGETS:
            assert m["initial_coulombic_efficiency"] == pytest.approx(
                ICE_TARGETS[prefix], abs=0.015
            ), cell
    for prefix in ("Mg-E", "Ag-E", "Sn-E"):
        for i in (1, 2):
            short = metrics[f"{prefix}-HC{i}"]["short_circuit_cycle"]
            assert short is not None and 15 <= short <= 70, (prefix, short)
    for i in (1, 2):
        m = metrics[f"MgAgSn-E-HC{i}"]
        assert m["short_circuit_cycle"] is None
        assert m["number_of_cycles"] >= 230
        # compared with the CEs the cell was generated with, over the window the analysis used
        # (not with the paper's 99.62 %, which is only the model's expected value)
        true_ce = demo_half_cell_ce(f"MgAgSn-E-HC{i}", seed=0)
        first, last = m.get("average_coulombic_efficiency_window") or (2, m["number_of_cycles"])
        assert m["average_coulombic_efficiency"] == pytest.approx(
            float(np.mean(true_ce[first - 1 : last])), abs=1e-4
        )
        assert m["total_time_h"] == pytest.approx(470, abs=10)
        pvdf = metrics[f"MgAgSn-P-HC{i}"]
        assert pvdf["short_circuit_cycle"] is not None
        assert pvdf["short_circuit_cycle"] < m["number_of_cycles"]
        assert pvdf["average_coulombic_efficiency"] < m["average_coulombic_efficiency"]
        assert pvdf["initial_coulombic_efficiency"] < m["initial_coulombic_efficiency"]


@needs_cycling
def test_full_cell_formation_cycling_and_rate(study: list[DemoFile]) -> None:
    formation = _analyze(_by(study, "MgAgSn-E-FC1", "FORM-0.1C"), "full")
    assert formation["initial_coulombic_efficiency"] == pytest.approx(0.85, abs=0.015)
    cycling = _analyze(_by(study, "MgAgSn-E-FC1", "CYC-0.5C"), "full")
    assert cycling["number_of_cycles"] == 100
    assert cycling["capacity_retention"] == pytest.approx(0.70, abs=0.02)
    assert cycling["short_circuit_cycle"] is None

    from analysis.cycling import analyze_cycling

    rate = analyze_cycling(
        read(_by(study, "MgAgSn-E-FC1", "RATE-0.1-1C").path).table,
        cell_type="full",
        area_cm2=AREA_CM2,
        one_c_current_density_mA_cm2=2.0,
    )
    table = rate.rate_capability
    assert table["c_rate"].round(2).tolist() == [0.1, 0.2, 0.5, 1.0]
    assert table["cycles"].tolist() == [3, 3, 3, 3]
    capacity = table["mean_reversible_capacity_mAh_cm2"]
    assert capacity.is_monotonic_decreasing
    assert capacity.iloc[0] == pytest.approx(2.0, abs=0.05)  # 1C = 2 mA/cm2 ~ 2 mAh/cm2


@pytest.mark.skipif(
    importlib.util.find_spec("analysis.eis") is None, reason="analysis.eis is not available"
)
def test_a_fit_of_the_pvdf_insitu_series_recovers_the_growing_sei_arc(
    study: list[DemoFile],
) -> None:
    eis = pytest.importorskip("analysis.eis")
    if not hasattr(eis, "fit_circuit"):
        pytest.skip("analysis.eis.fit_circuit is not available")
    table = read(_by(study, "MgAgSn-P-HC2", "EIS-INSITU-10min").path).table
    r_sei = []
    for k in (0, 5, 10):  # first plating, last plating, last stripping spectrum
        g = table[table["spectrum"] == k]
        z = g["z_real_ohm"].to_numpy() + 1j * g["z_imag_ohm"].to_numpy()
        fit = eis.fit_circuit(g["frequency_hz"].to_numpy(), z, "R0-p(R1,CPE1)-p(R2,CPE2)-W1")
        p = fit.parameters
        tau = [(p[f"R{i}"] * p[f"CPE{i}_0"]) ** (1 / p[f"CPE{i}_1"]) for i in (1, 2)]
        r_sei.append(p["R1"] if tau[0] < tau[1] else p["R2"])  # the high-frequency arc
    assert r_sei == pytest.approx([6.0, 16.0, 30.0], rel=0.1)


def test_demo_ce_is_drawn_around_the_papers_value_not_forced_onto_it() -> None:
    """The paper's 99.62 % is the model's expectation: the generated CEs scatter around it with
    the documented spread (0.06 %), and each draw has its own mean (no shift onto 0.9962)."""
    draws = [demo_half_cell_ce(f"MgAgSn-E-HC{i}", seed=s) for i in (1, 2) for s in range(3)]
    steady = np.concatenate([ce[20:] for ce in draws])  # after the conditioning transient
    assert float(np.mean(steady)) == pytest.approx(0.9962, abs=2e-4)
    assert float(np.std(steady)) == pytest.approx(0.0006, rel=0.15)
    means = [float(np.mean(ce[1:])) for ce in draws]
    assert max(means) - min(means) > 2e-5
