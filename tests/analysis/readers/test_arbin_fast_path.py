"""The Arbin CSV reader's typed fast path gives what the general path gives.

The fast path converts only the columns the canonical table takes, typed (float64, ISO dates as
timestamps); anything unusual reads the whole table as before. Each case is read both ways (the
general path forced by hiding the header from the fast path) and must agree exactly: table,
warnings and metadata.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.readers import ParseError, read
from tests.analysis.readers.fast_path import assert_same, both_ways

HEADER = (
    "Data_Point,Date_Time,Test_Time(s),Step_Time(s),Cycle_Index,Step_Index,Current(mA),"
    "Voltage(V),Charge_Capacity(mAh),Discharge_Capacity(mAh),Charge_Energy(Wh),"
    "Discharge_Energy(Wh),Aux_Temperature_1(C)"
)


def rows(date: str = "iso", n: int = 40, bad: dict[int, tuple[int, str]] | None = None) -> str:
    lines = [HEADER]
    for k in range(n):
        step = 1 + (k // 10) % 2
        t = 10.0 * k
        stamp = (
            f"2024-03-0{1 + k // 20} 10:{k % 60:02d}:0{k % 10}.250"
            if date == "iso"
            else f"03/0{1 + k // 20}/2024 10:{k % 60:02d}:0{k % 10}"
        )
        current = -1.0 if step == 1 else 1.0
        cells = [
            str(k + 1),
            stamp,
            f"{t:g}",
            f"{t % 100:g}",
            "1",
            str(step),
            f"{current:g}",
            f"{0.01 * step + 0.0001 * k:.6f}",
            f"{0.001 * k if step == 2 else 0:g}",
            f"{0.002 * k:g}",
            f"{1e-5 * k if step == 2 else 0:g}",
            f"{2e-5 * k:g}",
            "25.0",
        ]
        for column, value in (bad or {}).values() if bad and k in bad else ():
            cells[column] = value
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("date", ["iso", "us"])
def test_fast_path_equals_general_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, date: str
) -> None:
    path = tmp_path / "arbin.csv"
    path.write_text(rows(date))
    fast, general = both_ways(path, monkeypatch)
    assert_same(fast, general)
    assert "unix_time_second" in fast.table.columns  # type: ignore[attr-defined]
    assert fast.table["current_ampere"].iloc[0] == pytest.approx(-0.001)  # type: ignore[attr-defined]


def test_truncated_last_row_warning_counts_every_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = rows()
    last = text.rstrip("\n").rsplit("\n", 1)[1]
    path = tmp_path / "cut.csv"
    path.write_text(text.rstrip("\n")[: -len(last)] + ",".join(last.split(",")[:5]) + "\n")
    fast, general = both_ways(path, monkeypatch)
    assert_same(fast, general)
    assert any("(5 of 13 fields); dropped" in w for w in fast.warnings)  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", ["#VALUE!", "NaN", "", "inf"])
def test_missing_texts_are_repaired_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    path = tmp_path / "gap.csv"
    path.write_text(rows(bad={7: (7, value)}))
    fast, general = both_ways(path, monkeypatch)
    assert_same(fast, general)
    assert any("linearly interpolated" in w for w in fast.warnings)  # type: ignore[attr-defined]


def test_text_in_a_number_column_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "text.csv"
    path.write_text(rows(bad={4: (8, "oops")}))
    with pytest.raises(ParseError) as info:
        read(path)
    assert (info.value.row, info.value.column, info.value.found) == (
        6,
        "Charge_Capacity(mAh)",
        "oops",
    )


def test_a_date_that_turns_to_text_later_reads_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "dates.csv"
    path.write_text(rows(bad={30: (1, "03/02/2024 10:30:00")}))
    fast, general = both_ways(path, monkeypatch)
    assert_same(fast, general)
