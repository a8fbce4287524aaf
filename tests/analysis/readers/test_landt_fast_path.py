"""The Landt reader's typed fast path gives what the general path gives.

The fast path parses only the columns the reader converts (not Record or State), their numbers
straight to float64 and an ISO ``SysTime`` as timestamps; anything unusual reads the whole
table with type inference. Each case is read both ways and must agree exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.readers import ParseError, read
from analysis.simulate.writers.landt import write_landt_csv
from tests.analysis.readers.cycler_files import small_rows
from tests.analysis.readers.fast_path import assert_same, both_ways, fast_path_taken


@pytest.mark.parametrize("decimal_comma", [False, True], ids=["comma-separated", "decimal-comma"])
def test_fast_path_equals_general_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, decimal_comma: bool
) -> None:
    rows = small_rows()
    path = write_landt_csv(tmp_path / "landt.csv", rows, decimal_comma=decimal_comma)
    fast, general = both_ways(path, monkeypatch)
    assert fast_path_taken == [True]
    assert_same(fast, general)
    table = fast.table  # type: ignore[attr-defined]
    # the values the vendor wrote: mA to A, the wall clock to unix seconds
    assert np.allclose(table["current_ampere"], rows.current_A, atol=1e-8)
    assert table["unix_time_second"].iloc[0] == rows.unix_time_s[0]
    assert "Record" not in table.columns and "State" not in table.columns


def test_a_text_in_a_number_column_is_named_by_the_general_path(tmp_path: Path) -> None:
    path = write_landt_csv(tmp_path / "landt.csv", small_rows())
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[5].split(",")
    cells[4] = "3.7x"  # Voltage/V of the file's line 6
    lines[5] = ",".join(cells)
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(ParseError) as err:
        read(path)
    assert err.value.row == 6
    assert err.value.column == "Voltage/V"
    assert "3.7x" in str(err.value)


def test_times_without_a_unit_are_read_as_clock_texts(tmp_path: Path) -> None:
    """``TestTime`` with no unit may be ``HH:MM:SS``: not typed as a number, still read."""
    path = write_landt_csv(tmp_path / "landt.csv", small_rows())
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].split(",")
    header[1] = "TestTime"
    lines[0] = ",".join(header)
    for k in range(1, len(lines)):
        cells = lines[k].split(",")
        seconds = round(float(cells[1]))
        cells[1] = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        lines[k] = ",".join(cells)
    path.write_text("".join(lines), encoding="utf-8")
    table = read(path).table
    assert table["test_time_second"].iloc[-1] == round(small_rows().test_time_s[-1])
