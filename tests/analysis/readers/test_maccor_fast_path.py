"""The Maccor text reader's typed fast path gives what the general path gives.

Numbers parsed straight to float64 and ``DPt Time`` (``%m/%d/%Y %H:%M:%S``) to timestamps while
pyarrow parses the file; anything unusual (a date of another shape, as the midnight ``10/22/2019``
without a time in BEEP's ``.052`` file) reads the whole table with type inference as before.
Each case is read both ways (the general path forced by hiding the header from the fast path).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.analysis.readers.fast_path import assert_same, fast_path_taken
from tests.analysis.readers.fast_path import both_ways as read_both_ways

HEADER = (
    "Rec#\tCyc#\tStep\tTest (Sec)\tStep (Sec)\tAmp-hr\tWatt-hr\tAmps\tVolts\tState\tES\tDPt Time"
)
START = dt.datetime(2019, 10, 21, 23, 59, 50)


def maccor(dates: list[str] | None = None, n: int = 30) -> str:
    lines = ["Today's Date 10/21/2019  Date of Test:\t10/21/2019\t Filename:\tC:\\run.001", HEADER]
    for k in range(n):
        step = 1 + k // 10
        state = ("C", "R", "D")[(step - 1) % 3]
        amps = {"C": 0.001, "R": 0.0, "D": 0.001}[state]
        stamp = (START + dt.timedelta(seconds=2 * k)).strftime("%m/%d/%Y %H:%M:%S")
        if dates is not None:
            stamp = dates[k]
        cells = [
            str(k + 1),
            "0",
            str(step),
            f"{2.0 * k:.4f}",
            f"{2.0 * (k % 10):.4f}",
            f"{amps * 2 * (k % 10) / 3600:.10f}",
            f"{3.7 * amps * 2 * (k % 10) / 3600:.10f}",
            f"{amps:.10f}",
            f"{3.7 + 0.001 * k:.8f}",
            state,
            "0",
            stamp,
        ]
        lines.append("\t".join(cells))
    return "\r\n".join(lines) + "\r\n"


def both_ways(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    fast, general = read_both_ways(path, monkeypatch)
    assert_same(fast, general)
    return fast, general


def test_fast_path_equals_general_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "run.txt"
    path.write_text(maccor(), encoding="latin-1")
    fast, _ = both_ways(path, monkeypatch)
    assert fast_path_taken == [True]
    unix = fast.table["unix_time_second"].to_numpy()  # type: ignore[attr-defined]
    midnight = dt.datetime(2019, 10, 22, tzinfo=dt.UTC).timestamp()
    assert unix[5] == midnight  # 10/22/2019 00:00:00
    assert unix[0] == midnight - 10


def test_a_date_without_its_time_reads_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dates = [(START + dt.timedelta(seconds=2 * k)).strftime("%m/%d/%Y %H:%M:%S") for k in range(30)]
    dates[5] = "10/22/2019"  # how BEEP's .052 file writes midnight
    path = tmp_path / "run.txt"
    path.write_text(maccor(dates), encoding="latin-1")
    fast, _ = both_ways(path, monkeypatch)
    assert fast_path_taken == [False]
    assert len(fast.table) == 30  # type: ignore[attr-defined]
