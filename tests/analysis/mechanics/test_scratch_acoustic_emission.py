"""The scratch reader's acoustic-emission column: found from the header (its name, not the
file's), converted to percent, arbitrary units taken with a warning, other units refused; and
the pipeline's L_c1 from the emission read from the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import pipelines
from analysis.readers import ParseError, detect, read
from analysis.simulate.mechanics import PVDF
from analysis.simulate.mechanics import simulate_scratch as write_scratch


def _scratch(path: Path, ae_header: str, ae: list[float]) -> Path:
    text = f"Distance (mm),Normal load (mN),Penetration depth (um),{ae_header}\n"
    text += "".join(f"{i * 0.1},{i},{i * 0.5},{v}\n" for i, v in enumerate(ae))
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("header", "factor"),
    [
        ("Acoustic emission (%)", 1.0),
        ("AE [%]", 1.0),
        ("Acoustic Emission Signal (percent)", 1.0),
        ("AE (fraction)", 100.0),
    ],
)
def test_acoustic_emission_column_is_read_in_percent(
    tmp_path: Path, header: str, factor: float
) -> None:
    ae = [1.0, 1.2, 0.9, 1.1, 40.0, 55.0]
    path = _scratch(tmp_path / "run_017.dat.csv", header, [v / factor for v in ae])
    assert detect(path).name == "scratch_csv"
    result = read(path)
    assert result.table["acoustic_emission_percent"].tolist() == pytest.approx(ae)
    assert result.metadata["columns"]["acoustic_emission_percent"]["header"] == header
    assert not any("ignored" in w for w in result.warnings)


@pytest.mark.parametrize("header", ["AE (a.u.)", "Acoustic emission"])
def test_arbitrary_units_are_taken_as_they_are_with_a_warning(tmp_path: Path, header: str) -> None:
    result = read(_scratch(tmp_path / "s.csv", header, [3.0, 3.0, 3.0, 3.0, 900.0, 950.0]))
    assert result.table["acoustic_emission_percent"].tolist()[-1] == 950.0
    (warning,) = [w for w in result.warnings if "arbitrary units" in w]
    assert repr(header) in warning


def test_a_force_unit_on_the_emission_is_refused_naming_the_column(tmp_path: Path) -> None:
    with pytest.raises(ParseError) as err:
        read(_scratch(tmp_path / "s.csv", "AE (mN)", [1, 1, 1, 1, 2, 2]))
    assert "AE (mN)" in str(err.value) and "s.csv" in str(err.value)


def test_lc1_from_the_acoustic_emission_in_the_file(tmp_path: Path) -> None:
    """PVDF's delamination at 17 mN with first cracks at 10 mN that only the emission sees."""
    spec = {**PVDF["scratch"], "first_crack_load_mN": 10.0}
    path = write_scratch(tmp_path / "s.csv", **spec, acoustic_emission_header="AE [%]")
    table = read(path).table
    assert "acoustic_emission_percent" in table
    out = pipelines.run("scratch", table, {}).summary
    signals = {e["signal"]: e["load_mN"] for e in out["events"]}
    assert signals["acoustic_emission"] == pytest.approx(10.0, abs=1.5)
    assert out["lc1_mN"] == pytest.approx(signals["acoustic_emission"])
    assert out["lc2_mN"] == pytest.approx(17.0, abs=0.5)
    # without the column the emission's L_c1 is not there (the depth gives L_c2 only)
    plain = pipelines.run("scratch", table.drop(columns="acoustic_emission_percent"), {})
    assert "acoustic_emission" not in {e["signal"] for e in plain.summary["events"]}
