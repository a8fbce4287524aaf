"""The Novonix reader's typed fast path gives what the general path gives.

The fast path parses the known number columns straight to float64 and ``Date and Time`` (12-hour
clock with AM/PM) to timestamps while pyarrow parses the file; anything unusual reads the whole
table with type inference as before. Each case is read both ways (the general path forced by
hiding the header from the fast path) and must agree exactly.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from analysis.readers import ParseError, read
from tests.analysis.readers.fast_path import both_ways, fast_path_taken

HEADER = (
    "Date and Time,Cycle Number,Step Type,Run Time (h),Step Time (h),Current (A),"
    "Potential (V),Capacity (Ah),Temperature (°C),Energy (Wh),Step Number"
)
START = dt.datetime(2022, 4, 11, 11, 59, 50)  # crosses noon: 11:59:xx AM, then 12:00:xx PM


def novonix(quoted: bool, n: int = 30, bad: tuple[int, int, str] | None = None) -> str:
    lines = [
        "[Summary]",
        "Novonix HPC data file",
        "Novonix",
        "Started: 2022-04-11 11:59:50 AM",
        "Version: 2.2.1.6",
        "[End Summary]",
        "[Data]",
        HEADER,
    ]
    for k in range(n):
        step = 1 + k // 10
        current = (-0.001, 0.0, 0.001)[(step - 1) % 3]
        stamp = (START + dt.timedelta(seconds=2 * k)).strftime("%Y-%m-%d %I:%M:%S %p")
        cells = [
            stamp,
            "1",
            ("8", "0", "7")[(step - 1) % 3],
            f"{2 * k / 3600:.7f}",
            f"{2 * (k % 10) / 3600:.7f}",
            f"{current:.10f}",
            f"{3.7 + 0.001 * k:.8f}",
            f"{abs(current) * 2 * (k % 10) / 3600:.10f}",
            "25.000",
            f"{3.7 * abs(current) * 2 * (k % 10) / 3600:.10f}",
            str(step),
        ]
        if bad is not None and bad[0] == k:
            cells[bad[1]] = bad[2]
        lines.append(",".join(cells))
    if quoted:
        lines[7:] = [f'"{line}"' for line in lines[7:]]
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize("quoted", [True, False], ids=["lines-in-quotes", "plain"])
def test_fast_path_equals_general_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quoted: bool
) -> None:
    path = tmp_path / "novonix.csv"
    path.write_text(novonix(quoted), encoding="utf-8")
    fast, general = both_ways(path, monkeypatch)
    assert fast_path_taken == [True]
    pd.testing.assert_frame_equal(fast.table, general.table, check_exact=True)  # type: ignore[attr-defined]
    assert fast.warnings == general.warnings  # type: ignore[attr-defined]
    assert dict(fast.metadata) == dict(general.metadata)  # type: ignore[attr-defined]
    unix = fast.table["unix_time_second"].to_numpy()  # type: ignore[attr-defined]
    # Row 6 is 12:00:02 PM: noon, not midnight (the 12-hour clock read right).
    noon = dt.datetime(2022, 4, 11, 12, 0, 2, tzinfo=dt.UTC).timestamp()
    assert unix[6] == noon
    assert unix[0] == noon - 12
    assert fast.metadata["step_types"] == [0, 7, 8]  # type: ignore[attr-defined]


def test_a_text_in_a_number_column_names_its_row(tmp_path: Path) -> None:
    path = tmp_path / "novonix.csv"
    path.write_text(novonix(True, bad=(4, 6, "3.7x")), encoding="utf-8")
    with pytest.raises(ParseError) as info:
        read(path)
    # Header on line 8, first data row on line 9: the fifth row is line 13.
    assert info.value.row == 13
    assert info.value.column == "Potential (V)"
    assert "3.7x" in str(info.value)


def test_a_date_of_another_shape_still_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A 24-hour clock in one row: not the vendor's format, so the fast path gives up and the
    # general path reads the file as before (that row's wall-clock time missing).
    path = tmp_path / "novonix.csv"
    path.write_text(novonix(False, bad=(3, 0, "2022-04-11 13:00:00")), encoding="utf-8")
    fast, general = both_ways(path, monkeypatch)
    assert fast_path_taken == [False]
    pd.testing.assert_frame_equal(fast.table, general.table, check_exact=True)  # type: ignore[attr-defined]
    assert len(fast.table) == 30  # type: ignore[attr-defined]
