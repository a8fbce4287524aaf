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
