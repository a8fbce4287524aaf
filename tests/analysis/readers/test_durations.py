"""Clock texts of every shape cyclers write are parsed to the right seconds, whichever path
(numpy on the bytes, or the regular expression for rows of another shape) reads them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from analysis.readers import ParseError
from analysis.readers._durations import (
    _clock_seconds,
    _fixed_seconds,
    _split_seconds,
    duration_seconds,
    wall_clock_seconds,
)
from analysis.readers._units import timedelta_seconds


@pytest.mark.parametrize(
    ("texts", "seconds"),
    [
        (["00:00:00.000", "01:01:01.500", "123:00:00.250"], [0.0, 3661.5, 442800.25]),
        (["  0d 00:00:05.00", "  1d 02:00:00.00", " 12d 00:00:01.50"], [5.0, 93600.0, 1036801.5]),
        (["3 days, 01:00:00", "1-00:00:01", "2d00:00:01"], [262800.0, 86401.0, 172801.0]),
        (["00:00:01", "1:2:3", "01:02:03."], [1.0, 3723.0, 3723.0]),  # shapes differ per row
    ],
)
def test_duration_shapes(texts: list[str], seconds: list[float]) -> None:
    np.testing.assert_allclose(duration_seconds(pa.array(texts)), seconds, rtol=0, atol=1e-9)


def test_many_rows_take_the_byte_path_and_agree_with_the_expected_seconds() -> None:
    t = np.arange(5000) * 37.21
    texts = [f"{int(x // 3600):02d}:{int(x % 3600 // 60):02d}:{x % 60:06.3f}" for x in t]
    np.testing.assert_allclose(duration_seconds(pa.array(texts)), t, atol=1e-9)


@pytest.mark.parametrize("day", ["", "0d ", "12d "])
def test_the_split_path_gives_the_byte_paths_seconds(day: str) -> None:
    t = np.arange(5000) * 37.21
    texts = pa.array(
        [f"{day}{int(x // 3600):02d}:{int(x % 3600 // 60):02d}:{x % 60:05.2f}" for x in t]
    )
    split = _split_seconds(texts)
    assert split is not None
    data = np.frombuffer(texts.buffers()[2], dtype=np.uint8)
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int32).astype(np.int64)
    by_bytes = np.full(len(texts), np.nan)
    assert _clock_seconds(data, offsets, by_bytes).all()
    np.testing.assert_allclose(split, by_bytes, rtol=1e-15, atol=1e-9)
    np.testing.assert_allclose(split, t + 86400.0 * int(day[:-2] or 0), atol=6e-3)


@pytest.mark.parametrize(
    ("day", "fmt"),
    [
        ("", "{:02d}:{:02d}:{:05.2f}"),
        ("{}d ", "{:02d}:{:02d}:{:06.3f}"),
        ("", "{}:{:02d}:{:05.2f}"),
    ],
)
def test_the_fixed_path_gives_the_split_paths_seconds_bit_for_bit(day: str, fmt: str) -> None:
    # 3e6 s: the day count and the hours grow a digit (runs of texts of another length).
    t = np.arange(20000) * 151.25
    texts = pa.array(
        [
            day.format(int(x // 86400))
            + fmt.format(int(x // 3600 % (24 if day else 10**6)), int(x % 3600 // 60), x % 60)
            for x in t
        ]
    )
    fixed, split = _fixed_seconds(texts), _split_seconds(texts)
    assert fixed is not None and split is not None
    assert np.array_equal(fixed, split)
    assert np.array_equal(duration_seconds(texts), split)
    assert np.array_equal(_fixed_seconds(texts.slice(7, 900)), split[7:907])


@pytest.mark.parametrize(
    "texts",
    [
        ["00:00:01", "0d 00:00:01"],  # days in some rows only
        ["00:00:01", "00:0a:01"],
        ["00:00:01", "00-00:01"],
        ["00:00:01.5", "00:00:60.0"],
        ["", "00:00:01"],
        ["0d 00:00:01", "0d  0:00:01"],
    ],
)
def test_the_fixed_path_leaves_other_shapes_to_the_others(texts: list[str]) -> None:
    assert _fixed_seconds(pa.array(texts, type=pa.string())) is None


@pytest.mark.parametrize(
    "texts",
    [
        ["00:00:01", None],  # missing: the general path says which
        ["00:00:01", "00:01"],  # fields differ
        ["  0d 00:00:05.00"],  # spaces
        ["00:75:00"],  # not a clock
        ["1.5:00:00"],
        ["00:00:nan"],
        ["3 days, 01:00:00"],
    ],
)
def test_the_split_path_leaves_other_shapes_to_the_general_path(texts: list[str | None]) -> None:
    assert _split_seconds(pa.array(texts, type=pa.string())) is None


def test_missing_numbers_and_text_in_a_duration_column() -> None:
    values = pd.Series(["00:00:01.5", None, "12.5", "nan", "00:01:00.0"])
    np.testing.assert_allclose(
        timedelta_seconds(values, column="Time"), [1.5, np.nan, 12.5, np.nan, 60.0]
    )
    with pytest.raises(ParseError, match=r"row 3, column 'Time'.*found 'soon'"):
        timedelta_seconds(pd.Series(["00:00:01", "soon"]), column="Time", first_row=2)


def test_times_of_day_the_csv_parser_made_are_durations() -> None:
    import datetime as dt

    values = pd.Series([dt.time(0, 0, 0), dt.time(0, 1, 0), dt.time(23, 59, 59)])
    np.testing.assert_allclose(timedelta_seconds(values), [0.0, 60.0, 86399.0])


def test_wall_clock_texts_in_a_vendor_format() -> None:
    seconds = wall_clock_seconds(
        pd.Series(["2022-04-11 10:58:07 AM", "2022-04-11 10:58:07 PM", "garbage"]),
        "%Y-%m-%d %I:%M:%S %p",
    )
    assert seconds[1] - seconds[0] == 12 * 3600
    assert seconds[0] == pd.Timestamp("2022-04-11 10:58:07").timestamp()
    assert np.isnan(seconds[2])
