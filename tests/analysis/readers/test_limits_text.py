"""Plain text tables are bounded while they are parsed, not after: a CSV of more rows or cells
than the reader limits is refused from a streamed parse that stops at the limit, and a text
parsed whole in Python (impedance exports) from its count of lines, before it is loaded.

The limits are set low through their environment variables, so that a file of a few MB stands
for one of gigabytes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.readers import read
from analysis.readers._limits import LimitExceeded, count_lines, limits, rows_at_most

HEADER = b"Test Time / s,Voltage / V,Current / A\n"
ROW = b"0,3.7,0.1\n"


def bdf_csv(path: Path, rows: int, *, blank_lines: int = 0) -> Path:
    with path.open("wb") as fh:
        fh.write(HEADER)
        fh.write(b"".join(b"%d,3.7,0.1\n" % i for i in range(rows)))
        fh.write(b"\n" * blank_lines)
    return path


def test_a_huge_csv_is_refused_before_it_is_parsed_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.bdf.csv"
    rows = 4_000_000
    with path.open("wb") as fh:
        fh.write(HEADER)
        fh.write(ROW * rows)  # 40 MB
    monkeypatch.setenv("LABDB_READER_MAX_ROWS", "100000")
    with pytest.raises(LimitExceeded, match="more rows than the reader limit of 100,000") as err:
        read(path)
    assert "LABDB_READER_MAX_ROWS" in str(err.value)
    assert err.value.file == "huge.bdf.csv"
    # Refused from the first blocks of the stream: far fewer rows were parsed than the file has.
    assert err.value.found is not None and err.value.found.startswith("at least ")
    parsed = int(err.value.found.split()[2].replace(",", ""))
    assert 100_000 < parsed < rows // 2


def test_a_csv_over_the_cell_limit_names_that_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = bdf_csv(tmp_path / "cells.bdf.csv", 50_000)
    monkeypatch.setenv("LABDB_READER_MAX_CELLS", "90000")  # 50,000 rows x 3 columns
    with pytest.raises(LimitExceeded, match="LABDB_READER_MAX_CELLS") as err:
        read(path)
    assert err.value.found == "at least 50,000 x 3"


def test_a_csv_whose_lines_are_over_the_limit_but_rows_are_not_reads_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Blank lines count as lines, not rows: the streamed parse finds the rows within the limit.
    path = bdf_csv(tmp_path / "blank.bdf.csv", 30_000, blank_lines=30_000)
    monkeypatch.setenv("LABDB_READER_MAX_ROWS", "40000")
    assert rows_at_most(path, 3, limits(), 3) > 40_000
    table = read(path).table
    assert len(table) == 30_000
    np.testing.assert_array_equal(table["test_time_second"].to_numpy()[[0, -1]], [0, 29_999])
    np.testing.assert_allclose(table["voltage_volt"].to_numpy()[-1], 3.7)


def test_rows_are_bounded_from_the_file_size_before_any_count(tmp_path: Path) -> None:
    path = bdf_csv(tmp_path / "small.bdf.csv", 1_000)
    size = path.stat().st_size
    # 3 fields: a row takes at least 3 bytes, so the file holds at most size // 3 + 1 rows.
    assert rows_at_most(path, 3, limits(), 3) == size // 3 + 1
    assert count_lines(path) == 1_001


@pytest.mark.parametrize(
    ("content", "lines"),
    [(b"a\nb\n", 2), (b"a\nb", 2), (b"a\r\nb\r\n", 2), (b"a\rb\rc", 3), (b"", 0)],
)
def test_line_count_takes_every_line_end(tmp_path: Path, content: bytes, lines: int) -> None:
    path = tmp_path / "lines.txt"
    path.write_bytes(content)
    assert count_lines(path) == lines


def test_an_impedance_text_over_the_limit_is_refused_before_it_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "spectrum.csv"
    path.write_bytes(b"Freq,Zreal,Zimag\n" + b"1000,1.5,-0.2\n" * 5_000)
    assert read(path).format == "eis_csv"
    monkeypatch.setenv("LABDB_READER_MAX_ROWS", "1000")
    with pytest.raises(
        LimitExceeded, match="more lines than the reader limit of 1,000 rows"
    ) as err:
        read(path)
    assert "LABDB_READER_MAX_ROWS" in str(err.value)
