"""The typed read of a plain table by polars (``_polars_csv.typed_frame``) gives what pyarrow's typed
read gives, bit for bit, and sends every unusual file to pyarrow's parse.

Each case is read by :func:`analysis.readers._text.read_table` twice: as it reads (polars first
where it applies) and with the polars path turned off (pyarrow's parse, the reference). Tables
must be equal to the last bit (float64 values compared as integers, so -0.0, subnormals and NaN
payloads count), and so must errors and warnings. Each case also asserts which path the first
read took, so that a change that silently stops using the fast path fails here.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from analysis.readers import ParseError, _polars_csv, _text, read

NUMBERS = ["t", "v", "i"]


def _read(path: Path, *, fast: bool, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> Any:
    taken: list[bool] = []
    original = _polars_csv.typed_frame

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs) if fast else None
        taken.append(result is not None)
        return result

    types = {name: pa.float64() for name in NUMBERS} | extra.pop("types", {})
    with monkeypatch.context() as patch:
        patch.setattr(_polars_csv, "typed_frame", spy)
        table = _text.read_table(
            path,
            header_index=extra.pop("header_index", 0),
            delimiter=extra.pop("delimiter", ","),
            encoding=extra.pop("encoding", "utf-8"),
            column_types=types,
            include_columns=extra.pop("include", list(types)),
            **extra,
        )
    return table, bool(taken and taken[0])


def _bits(frame: pd.DataFrame) -> dict[str, Any]:
    out = {}
    for name in frame.columns:
        values = frame[name].to_numpy()
        if values.dtype.kind in "fMm":
            out[name] = (str(values.dtype), values.view(np.int64).tolist())
        else:
            out[name] = (str(values.dtype), values.tolist())
    return out


def both(path: Path, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> tuple[Any, bool]:
    fast, taken = _read(path, fast=True, monkeypatch=monkeypatch, **dict(extra))
    reference, _ = _read(path, fast=False, monkeypatch=monkeypatch, **dict(extra))
    assert list(fast.frame.columns) == list(reference.frame.columns)
    assert _bits(fast.frame) == _bits(reference.frame)
    assert fast.warnings == reference.warnings
    assert fast.header_line == reference.header_line
    return fast, taken


def _texts(rng: random.Random, n: int) -> list[str]:
    """Number texts as instruments and spreadsheets write them: repr of random doubles over
    the whole exponent range, fixed decimals, integers, exponents in both cases, a sign, no
    leading or trailing digit, subnormals and the extremes."""
    special = [
        "0",
        "-0",
        "-0.0",
        "+3",
        ".5",
        "5.",
        "1e5",
        "1E-7",
        "2.5E+300",
        "5e-324",
        "2.2250738585072014e-308",
        "1.7976931348623157e308",
        "0.1",
        "0.30000000000000004",
        "9007199254740993",
        "123456789012345678901234567890",
        "1.00000000000000011102",
    ]
    out = list(special)
    while len(out) < n:
        kind = rng.randrange(4)
        if kind == 0:
            out.append(repr(rng.uniform(-1, 1) * 10 ** rng.randint(-300, 300)))
        elif kind == 1:
            out.append(f"{rng.uniform(-5, 5):.{rng.randint(0, 12)}f}")
        elif kind == 2:
            out.append(str(rng.randint(-(10**12), 10**12)))
        else:
            out.append(
                f"{rng.uniform(-1, 1):.9e}".upper()
                if rng.random() < 0.5
                else f"{rng.uniform(0, 1e-3):.8g}"
            )
    return out


def test_numbers_are_the_same_doubles_as_pyarrows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(20261204)
    n = 3000
    cols = [_texts(rng, n) for _ in NUMBERS]
    path = tmp_path / "numbers.csv"
    lines = ["t,v,i,note"] + [
        f"{a},{b},{c},x{k}" for k, (a, b, c) in enumerate(zip(*cols, strict=True))
    ]
    path.write_text("\n".join(lines) + "\n")
    table, taken = both(path, monkeypatch)
    assert taken
    assert table.frame["v"].iloc[3] == 3.0
    assert math.copysign(1.0, table.frame["t"].iloc[1]) == -1.0  # "-0"
    assert table.frame["i"].iloc[9] == 5e-324


def test_iso_dates_and_unix_seconds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "dates.csv"
    rows = ["t,v,i,stamp"]
    for k in range(200):
        sep = "T" if k % 3 == 0 else " "
        frac = "" if k % 5 == 0 else f".{k % 1000:03d}"
        rows.append(
            f"{k * 0.5},{3.1 + k * 1e-4},{-0.001},2024-03-{1 + k // 100:02d}{sep}10:{k % 60:02d}:{k % 60:02d}{frac}"
        )
    path.write_text("\n".join(rows) + "\n")
    table, taken = both(path, monkeypatch, types={"stamp": pa.timestamp("ns")})
    assert taken
    assert str(table.frame["stamp"].iloc[1]) == "2024-03-01 10:01:01.001000"


def test_a_date_pyarrow_cannot_cast_goes_to_pyarrows_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "dates.csv"
    path.write_text("t,v,i,stamp\n1,2,3,2024-03-01 10:00:00\n2,3,4,01/03/2024 10:00:01\n")
    with pytest.raises(ParseError) as fast:
        _read(path, fast=True, monkeypatch=monkeypatch, types={"stamp": pa.timestamp("ns")})
    with pytest.raises(ParseError) as reference:
        _read(path, fast=False, monkeypatch=monkeypatch, types={"stamp": pa.timestamp("ns")})
    assert str(fast.value) == str(reference.value)


UNUSUAL = {
    "short row inside": "1,2,3,a\n4,5\n7,8,9,c\n",
    "truncated last row": "1,2,3,a\n4,5,6,b\n7,8",
    "blank line": "1,2,3,a\n\n7,8,9,c\n",
    "empty field": "1,2,3,a\n4,,6,b\n",
    "missing text": "1,2,3,a\n4,N/A,6,b\n7,-,9,c\n",
    "spaces around a number": "1,2,3,a\n4, 5 ,6,b\n",
    "quoted number": '1,2,3,a\n4,"5",6,b\n',
    "text in a number column": "1,2,3,a\n4,five,6,b\n",
    "row with more fields": "1,2,3,a\n4,5,6,b,extra\n",
    "not UTF-8": "1,2,3,a\n4,5,6,\xe9t\xe9\n",
}


@pytest.mark.parametrize("case", sorted(UNUSUAL))
def test_unusual_files_read_as_pyarrow_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    path = tmp_path / "unusual.csv"
    path.write_bytes(("t,v,i,note\n" + UNUSUAL[case]).encode("latin-1"))
    outcomes = []
    for fast in (True, False):
        try:
            table, taken = _read(path, fast=fast, monkeypatch=monkeypatch)
            outcomes.append(("table", _bits(table.frame), table.warnings))
        except ParseError as exc:
            taken = False
            outcomes.append(("error", str(exc), []))
        if fast and case != "quoted number":
            assert not taken, case  # polars found it unusual: pyarrow parsed it
    assert outcomes[0] == outcomes[1]


def test_not_used_for_other_encodings_delimiters_or_untyped_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("t;v;i;note\n1;2;3;a\n4;5;6;b\n")
    assert both(path, monkeypatch, delimiter=";")[1]  # any single-byte delimiter
    assert not both(path, monkeypatch, delimiter=";", encoding="latin-1")[1]
    assert not both(path, monkeypatch, delimiter=";", include=["t", "note"])[1]  # "note" untyped
    assert not both(path, monkeypatch, delimiter=";", decimal_comma=True)[1]


def test_the_arbin_reader_takes_it_and_gives_the_general_paths_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = (
        "Data_Point,Test_Time(s),Date_Time,Step_Time(s),Step_Index,Cycle_Index,Current(A),"
        "Voltage(V),Charge_Capacity(Ah),Discharge_Capacity(Ah),dV/dt(V/s)"
    )
    rows = [header]
    for k in range(400):
        step = 1 + (k // 50) % 2
        current = 0.002 if step == 1 else -0.002
        rows.append(
            f"{k + 1},{k * 2.5:.4f},2024-01-01 00:{k * 2 // 60 % 60:02d}:{k * 2 % 60:02d}.5,"
            f"{(k % 50) * 2.5:.4f},{step},1,{current},{3.0 + 0.001 * (k % 50) * (1 if step == 1 else -1):.6f},"
            f"{2e-6 * (k % 50) if step == 1 else 0},{2e-6 * (k % 50) if step == 2 else 0},1e-5"
        )
    path = tmp_path / "arbin.csv"
    path.write_text("\n".join(rows) + "\n")
    taken: list[bool] = []
    original = _polars_csv.typed_frame

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        taken.append(result is not None)
        return result

    with monkeypatch.context() as patch:
        patch.setattr(_polars_csv, "typed_frame", spy)
        fast = read(path)
    with monkeypatch.context() as patch:
        patch.setattr(_polars_csv, "typed_frame", lambda *a, **k: None)
        reference = read(path)
    assert taken == [True]
    pd.testing.assert_frame_equal(fast.table, reference.table, check_exact=True)
    assert fast.warnings == reference.warnings
    assert fast.table["unix_time_second"].iloc[1] == pytest.approx(1704067202.5)


@pytest.mark.parametrize("suffix", ["Z", "+01:00", "-0530"])
def test_dates_with_a_zone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    path = tmp_path / "zoned.csv"
    rows = ["t,v,i,stamp"] + [f"{k},{k},{k},2024-03-01T10:00:{k:02d}.5{suffix}" for k in range(30)]
    path.write_text("\n".join(rows) + "\n")
    table, taken = both(path, monkeypatch, types={"stamp": pa.timestamp("ns", tz="UTC")})
    assert taken
    assert str(table.frame["stamp"].dtype) == "datetime64[ns, UTC]"


@pytest.mark.parametrize("pieces_of", [1, 7, 64])
def test_dates_cast_in_pieces_are_the_columns_timestamps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pieces_of: int
) -> None:
    """The date column cast in pieces by worker threads (``_cast_pieces``; the piece size made
    small here so that a small file is split) gives pyarrow's timestamps bit for bit, in order,
    and a date pyarrow cannot cast in any piece sends the file to pyarrow's parse."""
    monkeypatch.setattr(_polars_csv, "DATE_PIECE_ROWS", pieces_of)
    monkeypatch.setattr(_polars_csv.os, "cpu_count", lambda: 4)
    path = tmp_path / "dates.csv"
    rows = ["t,v,i,stamp"] + [
        f"{k},{k * 0.5},{-k},2024-03-{1 + k // 100:02d} 10:{k % 60:02d}:{k % 60:02d}.{k:03d}"
        for k in range(250)
    ]
    path.write_text("\n".join(rows) + "\n")
    cast = _polars_csv._cast_text
    sizes: list[int] = []

    def counted(views: Any, kind: Any) -> Any:
        sizes.append(len(views))
        return cast(views, kind)

    monkeypatch.setattr(_polars_csv, "_cast_text", counted)
    table, taken = both(path, monkeypatch, types={"stamp": pa.timestamp("ns")})
    assert taken
    assert sum(sizes) == 250 and len(sizes) == min(4, 250 // pieces_of)  # 4, 4 and 3 pieces
    assert list(table.frame.columns) == ["t", "v", "i", "stamp"]
    assert str(table.frame["stamp"].iloc[249]) == "2024-03-03 10:09:09.249000"
    rows[230] = "229,1,2,not a date"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(ParseError) as fast:
        _read(path, fast=True, monkeypatch=monkeypatch, types={"stamp": pa.timestamp("ns")})
    with pytest.raises(ParseError) as reference:
        _read(path, fast=False, monkeypatch=monkeypatch, types={"stamp": pa.timestamp("ns")})
    assert str(fast.value) == str(reference.value)


def test_chunks_of_an_array_or_chunked_array() -> None:
    one = pa.array([1, 2])
    assert _polars_csv._chunks(one) == [one]
    two = pa.chunked_array([[1], [2, 3]])
    assert [c.to_pylist() for c in _polars_csv._chunks(two)] == [[1], [2, 3]]


def test_joined_chunks_are_the_columns_bits_in_one_writable_array() -> None:
    values = [0.0, -0.0, 5e-324, float("inf"), -1.5, 2.2250738585072014e-308]
    payload = np.array([0x7FF8000000000123], dtype=np.int64).view(np.float64)  # a NaN payload
    chunks = [
        pa.array(values[:2]),
        pa.array(payload),
        pa.array(values[2:]),
        pa.array([], pa.float64()),
    ]
    column = pa.chunked_array(chunks, type=pa.float64())
    joined = _polars_csv._joined(column)
    want = np.concatenate([np.array(values[:2]), payload, np.array(values[2:])])
    assert joined.dtype == np.float64 and joined.flags.writeable and joined.flags.c_contiguous
    assert joined.view(np.int64).tolist() == want.view(np.int64).tolist()
    one = _polars_csv._joined(pa.chunked_array([pa.array(values)]))
    assert one.view(np.int64).tolist() == np.array(values).view(np.int64).tolist()
    assert _polars_csv._joined(pa.chunked_array([], type=pa.float64())).size == 0
