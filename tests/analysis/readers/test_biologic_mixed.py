"""BioLogic files mixing DC cycling and impedance loops give both tables: the cycling table
without a single impedance point and the spectra tagged with where they sit in the DC run.

Real file: cellpy's ``biol.mpr`` (GCPL delithiation steps with a GEIS spectrum in each rest;
the only real mixed file of the shared data). Simulated: the demo's in-situ Modulo Bat run,
whose layout is checked against the real file's, property by property.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import pipelines
from analysis.readers import read
from analysis.simulate.study import DemoFile, write_demo_study

BIOL = "cycling/jepegit+cellpy/testdata/data/biol.mpr"


@pytest.fixture(scope="module")
def insitu(tmp_path_factory: pytest.TempPathFactory) -> DemoFile:
    files = write_demo_study(tmp_path_factory.mktemp("study"))
    return next(
        f for f in files if f.cell_label == "MgAgSn-P-HC2" and f.protocol_label.startswith("EIS-IN")
    )


def _raw_mpr(path: Path) -> pd.DataFrame:
    from galvani import BioLogic

    mpr = BioLogic.MPRfile(str(path))
    return pd.DataFrame({n: mpr.data[n] for n in mpr.data.dtype.names})


def _raw_mpt(path: Path) -> pd.DataFrame:
    from analysis.readers.biologic import parse_mpt

    return parse_mpt(path)[0].apply(pd.to_numeric)


def _layout(raw: pd.DataFrame) -> dict[str, object]:
    """The structure of an EC-Lab run mixing DC and impedance rows, as the vendor writes it."""
    eis = raw["freq/Hz"].to_numpy() > 0
    block = np.cumsum(np.r_[True, eis[1:] != eis[:-1]])
    runs = [raw.loc[eis & (block == b)] for b in np.unique(block[eis])]
    z = raw["z cycle"].to_numpy()
    dc_after = [
        z[int(np.flatnonzero(block == b)[0])] for b in np.unique(block[~eis]) if b > block[eis][0]
    ]
    return {
        "dc rows have no impedance": bool((raw.loc[~eis, "|Z|/Ohm"] == 0).all()),
        "z cycle of the runs": [float(r["z cycle"].iloc[0]) for r in runs]
        == list(map(float, range(len(runs)))),
        "one z cycle per run": all(r["z cycle"].nunique() == 1 for r in runs),
        "dc rows keep the last run's z cycle": dc_after
        == [float(r["z cycle"].iloc[0]) for r in runs][: len(dc_after)],
        "AC current changes sign within a run": all(
            (r["I/mA"] > 0).any() and (r["I/mA"] < 0).any() for r in runs[1:]
        ),
        "one Ns per run": all(r["Ns"].nunique() == 1 for r in runs),
        "time grows": bool((np.diff(raw["time/s"].to_numpy()) >= 0).all()),
        "sweeps go down in frequency": all(
            (np.diff(r["freq/Hz"].to_numpy()) < 0).mean() > 0.9 for r in runs
        ),
    }


def test_the_simulated_insitu_run_has_the_real_mixed_layout(
    conformance_data: Path, insitu: DemoFile
) -> None:
    real = _layout(_raw_mpr(conformance_data / BIOL))
    assert all(real.values()), real  # what a real EC-Lab file shows
    assert _layout(_raw_mpt(insitu.path)) == real


def test_biol_mpr_gives_cycling_without_impedance_rows_and_five_tagged_spectra(
    conformance_data: Path,
) -> None:
    result = read(conformance_data / BIOL)
    raw = _raw_mpr(conformance_data / BIOL)
    eis = result.part({"eis"})
    assert eis is not None
    spectra = eis.table.groupby("spectrum")
    first = spectra.first()
    assert len(first) == 5 and (spectra.size().to_numpy() == [64, 64, 64, 64, 54]).all()
    # no Re/Im columns in this .mpr: Z from |Z| and the phase
    rows = raw[raw["freq/Hz"] > 0]
    z = eis.table["z_real_ohm"] + 1j * eis.table["z_imag_ohm"]
    assert np.allclose(np.abs(z), rows["|Z|/Ohm"], rtol=1e-6)
    assert np.allclose(np.degrees(np.angle(z)), rows["Phase(Z)/deg"], atol=1e-4)
    # the first GEIS runs before any current: rest; then each follows a 0.325 mA delithiation
    # step of the one oxidation half-cycle, (Q-Qo) since it began: 1.2987 mAh per step
    assert list(first["dc_state"]) == ["rest", *["oxidation"] * 4]
    assert list(first["half_cycle"]) == [0, 1, 1, 1, 1]
    charge_mAh = first["half_cycle_charge_ah"].to_numpy() * 1000
    assert charge_mAh == pytest.approx([0.0, 1.298721, 2.597427, 3.896141, 4.976893], abs=1e-5)
    assert list(first["sequence"]) == [1, 2, 3, 4, 5]
    assert first["time_second"].iloc[1] == pytest.approx(18402.046, abs=1e-3)
    # the cell voltage during the spectrum is the DC potential the rows carry
    assert first["voltage_volt"].to_numpy() == pytest.approx(
        [0.123774, 0.3145, 0.3901, 0.4293, 0.5775], abs=2e-3
    )


def test_cycling_of_biol_mpr_counts_no_impedance_point_as_a_cycle(conformance_data: Path) -> None:
    source = read(conformance_data / BIOL).part({"cycling"})
    assert source is not None
    run = pipelines.run("cycling", source.table, {"cell_type": "half"})
    half = run.tables["half_cycles"]
    # one delithiation (oxidation) half-cycle of 4.9769 mAh: the GEIS points' AC current
    # (+-0.1 mA) makes no half-cycle of its own
    assert len(half) == 1
    assert float(half["capacity_mAh"].iloc[0]) == pytest.approx(4.976893, rel=1e-4)


def test_the_insitu_file_gives_cycling_and_spectra_at_their_plating_stripping_state(
    insitu: DemoFile,
) -> None:
    result = read(insitu.path)
    assert result.kinds == ("eis", "cycling")
    cycling = result.part({"cycling"})
    assert cycling is not None and (cycling.table["current_ampere"].abs() > 0).all()
    run = pipelines.run("cycling", cycling.table, {"cell_type": "half", "area_cm2": 0.785})
    cycles = run.tables["cycles"]
    assert len(cycles) == 1
    assert float(cycles["plating_capacity_mAh"].iloc[0]) == pytest.approx(0.785, rel=1e-3)
    first = result.table.groupby("spectrum").first()
    assert list(first["dc_state"]) == ["reduction"] * 6 + ["oxidation"] * 5
    assert list(first["half_cycle"]) == [1] * 6 + [2] * 5
    # one spectrum after every 10 min at 0.785 mA: 0.1308 mAh more each time
    step = 0.785 / 6
    expected = [step * k for k in range(1, 7)] + [step * k for k in range(1, 6)]
    assert first["half_cycle_charge_ah"].to_numpy() * 1000 == pytest.approx(expected, rel=1e-3)
    assert (first["rest_second"] < 5).all()  # measured right after the DC step


def test_the_cycling_of_a_mixed_run_integrates_no_impedance_time_as_dc(insitu: DemoFile) -> None:
    """The DC current before and after a PEIS loop is the plating current: a trapezoid across
    the loop counted its ~100 s as plating (integrated 0.921 mAh for 0.785, 15.9 % over the
    counters). The DC row after each loop is marked and the interval is not integrated."""
    cycling = read(insitu.path).part({"cycling"})
    assert cycling is not None
    marked = cycling.table["interrupted_before"].to_numpy()
    assert marked.sum() == 11  # one DC row after each of the 11 spectra
    run = pipelines.run("cycling", cycling.table, {"cell_type": "half", "area_cm2": 0.785})
    half = run.tables["half_cycles"]
    assert run.summary["metrics"]["capacity_source"] == "vendor_counters"
    # 6 x 10 min at 0.785 mA, the stripping to its cut-off: the integrated current now agrees
    # with EC-Lab's (Q-Qo) counter
    assert float(half["integrated_capacity_mAh"].iloc[0]) == pytest.approx(0.785, rel=1e-3)
    assert half["integrated_capacity_mAh"].to_numpy() == pytest.approx(
        half["capacity_mAh"].to_numpy(), rel=1e-3
    )
    assert not any("counters differ" in w for w in run.warnings)
    assert any(w.startswith("11 interval(s)") for w in run.warnings)
    # without the marks the loops' time is integrated as DC (what the analysis did before)
    unmarked = pipelines.run(
        "cycling", cycling.table.drop(columns="interrupted_before"), {"cell_type": "half"}
    )
    first = float(unmarked.tables["half_cycles"]["integrated_capacity_mAh"].iloc[0])
    assert first > 1.1 * 0.785


def test_biol_mpr_marks_its_five_geis_runs_which_sit_in_rests(conformance_data: Path) -> None:
    source = read(conformance_data / BIOL).part({"cycling"})
    assert source is not None
    assert int(source.table["interrupted_before"].sum()) == 5
    half = pipelines.run("cycling", source.table, {"cell_type": "half"}).tables["half_cycles"]
    # the GEIS runs sit in rests (no DC current on either side): integration and (Q-Qo) agree
    assert float(half["integrated_capacity_mAh"].iloc[0]) == pytest.approx(4.976893, rel=1e-5)
