"""The peel, scratch, indentation and CV readers: detection, unit conversion, refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.readers import ParseError, detect, read


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_peel_force_in_gram_force_is_converted_to_newton(tmp_path: Path) -> None:
    f = _csv(tmp_path / "p.csv", "Displacement (mm),Force (gf)\n0,0\n1,100\n2,102\n3,98\n4,101\n")
    result = read(f)
    assert (result.format, result.kind) == ("peel_csv", "peel")
    assert list(result.table.columns) == ["displacement_mm", "force_N"]
    assert result.table["force_N"].iloc[1] == pytest.approx(0.980665)
    assert result.metadata["columns"]["force_N"] == {"header": "Force (gf)", "unit": "gf"}


def test_preamble_and_semicolons_are_read(tmp_path: Path) -> None:
    text = "Instrument; Peel-1000\nOperator: AB\n\nExtension [mm];Force [N];Time [s]\n"
    text += "".join(f"{i};{i * 0.1};{i}\n" for i in range(6))
    result = read(_csv(tmp_path / "p.txt", text))
    assert result.kind == "peel"
    assert result.table["force_N"].iloc[5] == pytest.approx(0.5)
    assert result.metadata["preamble"]["Instrument"] == "Peel-1000"


def test_scratch_units_and_optional_residual_depth(tmp_path: Path) -> None:
    text = "Distance (mm),Normal load (N),Penetration depth (µm),Residual depth (nm)\n"
    text += "".join(f"{i * 0.1},{i * 0.01},{i * 0.5},{i * 100}\n" for i in range(6))
    result = read(_csv(tmp_path / "s.csv", text))
    assert (result.format, result.kind) == ("scratch_csv", "scratch")
    t = result.table
    assert t["normal_load_mN"].iloc[5] == pytest.approx(50.0)
    assert t["depth_um"].iloc[5] == pytest.approx(2.5)
    assert t["residual_depth_um"].iloc[5] == pytest.approx(0.5)


def test_indentation_depth_in_micrometres_becomes_nanometres(tmp_path: Path) -> None:
    text = "Time (s),Depth (um),Load (uN)\n" + "".join(
        f"{i},{i * 0.1},{i * 10}\n" for i in range(6)
    )
    result = read(_csv(tmp_path / "i.csv", text))
    assert (result.format, result.kind) == ("indentation_csv", "indentation")
    assert result.table["depth_nm"].iloc[3] == pytest.approx(300.0)
    assert result.table["load_mN"].iloc[3] == pytest.approx(0.03)


def test_cv_current_in_microampere_and_integer_cycles(tmp_path: Path) -> None:
    text = "Potential (V),Current (uA),Cycle\n" + "".join(
        f"{1 - i * 0.1},{-i},{1 + i // 3}\n" for i in range(6)
    )
    result = read(_csv(tmp_path / "cv.csv", text))
    assert (result.format, result.kind) == ("cv_csv", "cv")
    assert result.table["current_A"].iloc[2] == pytest.approx(-2e-6)
    assert result.table["cycle"].tolist() == [1, 1, 1, 2, 2, 2]


def test_xlsx_export_is_detected_from_its_content(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    frame = pd.DataFrame({"Depth (nm)": np.arange(6.0) * 10, "Load (mN)": np.arange(6.0)})
    frame.to_excel(path, index=False)
    result = read(path)
    assert result.kind == "indentation"
    assert result.table["depth_nm"].iloc[5] == pytest.approx(50.0)


def test_a_cycler_export_with_capacity_is_not_taken_for_a_cv(tmp_path: Path) -> None:
    f = _csv(tmp_path / "c.csv", "Voltage (V),Current (A),Capacity (Ah)\n1,0.1,0\n1.1,0.1,0.1\n")
    try:
        spec = detect(f)
    except ParseError:
        return
    assert spec.name != "cv_csv"


def test_a_header_without_unit_is_refused_naming_file_and_column(tmp_path: Path) -> None:
    f = _csv(tmp_path / "nounit.csv", "Displacement (mm),Force\n0,0\n1,1\n2,1\n")
    with pytest.raises(ParseError) as info:
        read(f)
    message = str(info.value)
    assert "nounit.csv" in message and "'Force'" in message and "no unit" in message


def test_an_unknown_unit_is_refused_naming_the_column_and_unit(tmp_path: Path) -> None:
    f = _csv(tmp_path / "odd.csv", "Depth (nm),Load (zorks)\n0,0\n1,1\n")
    with pytest.raises(ParseError) as info:
        read(f)
    message = str(info.value)
    assert "odd.csv" in message and "'Load (zorks)'" in message and "zorks" in message


def test_a_unit_of_the_wrong_dimension_is_refused(tmp_path: Path) -> None:
    f = _csv(tmp_path / "dim.csv", "Potential (V),Current (mm)\n0,0\n1,1\n")
    with pytest.raises(ParseError, match=r"'Current \(mm\)'.*not a current"):
        read(f)


def test_a_non_number_names_its_row(tmp_path: Path) -> None:
    f = _csv(tmp_path / "bad.csv", "Displacement (mm),Force (N)\n0,0\n1,abc\n")
    with pytest.raises(ParseError, match=r"bad.csv, row 3, column 'Force \(N\)'.*'abc'"):
        read(f)
