"""An EC-Lab .mpt whose header lost a column name (impedance.py's MissingFreq example)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.readers import ParseError, read

MAGIC = "EC-Lab ASCII FILE\nNb header lines : 4\n\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="latin-1")
    return path


def test_impedance_file_without_frequency_name_is_refused_clearly(
    conformance_data: Path,
) -> None:
    path = (
        conformance_data / "eis/ECSHackWeek+impedance.py/data/exampleDataBioLogic_MissingFreq.mpt"
    )
    with pytest.raises(ParseError, match=r"without a frequency column.*'freq/Hz'") as info:
        read(path)
    assert "malformed row" not in str(info.value)
    assert info.value.row == 62


def test_missing_frequency_name_in_a_small_file(tmp_path: Path) -> None:
    header = "Re(Z)/Ohm\t-Im(Z)/Ohm\ttime/s\t\n"
    rows = "1000\t10\t1\t0.5\n100\t11\t2\t1.5\n"
    with pytest.raises(ParseError, match="without a frequency column"):
        read(write(tmp_path, "nofreq.mpt", MAGIC + header + rows))


def test_other_missing_column_name_is_named_as_such(tmp_path: Path) -> None:
    header = "time/s\tEwe/V\t\n"
    rows = "0\t3.1\t0.1\n1\t3.2\t0.1\n"
    with pytest.raises(ParseError, match="a column name is missing from the header"):
        read(write(tmp_path, "cycling.mpt", MAGIC + header + rows))


def test_ec_lab_trailing_tab_header_still_reads(tmp_path: Path) -> None:
    header = "freq/Hz\tRe(Z)/Ohm\t-Im(Z)/Ohm\t\n"
    rows = "1000\t10\t1\n100\t11\t2\n10\t12\t3\n"
    table = read(write(tmp_path, "ok.mpt", MAGIC + header + rows)).table
    assert table["frequency_hz"].tolist() == [1000, 100, 10]
    assert table["z_imag_ohm"].tolist() == [-1, -2, -3]
