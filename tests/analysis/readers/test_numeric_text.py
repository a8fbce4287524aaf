"""Text that is not a number in a numeric column is refused; missing values are still repaired.

Only genuine missing values (empty, NaN, N/A, inf, -inf...) go to the repair rules of
``finish_cycling`` (interpolated with a warning); any other text is a ParseError naming the file,
the row as the file shows it (1-based line, header lines counted), the column as the file names
it, and the text.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.readers import ParseError, read
from analysis.readers._text import to_float
from analysis.readers._units import timedelta_seconds

GENERIC_MAPPING = {"test_time_second": "t", "voltage_volt": "E(mV)", "current_ampere": "I [uA]"}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def bdf(cell: str) -> str:
    return (
        "test_time_second,voltage_volt,current_ampere\n"
        f"0,0.1,-0.001\n60,{cell},-0.001\n120,0.1,-0.001\n180,0.1,-0.001\n"
    )


def arbin(cell: str) -> str:
    return (
        "Data_Point,Test_Time(s),Step_Time(s),Cycle_Index,Step_Index,Current(A),Voltage(V)\n"
        "1,0,0,1,1,0.001,3.0\n"
        "2,10,10,1,1,0.001,3.1\n"
        f"3,20,20,1,1,{cell},3.2\n"
        "4,30,30,1,1,0.001,3.3\n"
        "5,40,40,1,1,0.001,3.4\n"
    )


def generic(cell: str) -> str:
    return (
        "instrument: homemade\nnote; free text\n"
        "t,E(mV),I [uA]\n"
        "0,3000,500\n1,3100,500\n2,3200,500\n"
        f"3,{cell},500\n"
        "4,3400,500\n"
    )


def mpt(cell: str, *, decimal_comma: bool = False) -> str:
    rows = [
        ("1", "0.0", "3.0", "0.5", "0"),
        ("1", "1.0", "3.1", "0.5", "0"),
        ("1", "2.0", "3.2", "0.5", "0"),
        ("1", "3.0", cell, "0.5", "0"),
        ("1", "4.0", "3.4", "0.5", "0"),
    ]
    body = "".join("\t".join(r) + "\n" for r in rows)
    if decimal_comma:
        body = body.replace(".", ",")
    return (
        "EC-Lab ASCII FILE\n"
        "Nb header lines : 5\n"
        "\n"
        "Galvanostatic Cycling with Potential Limitation\n"
        "mode\ttime/s\tEwe/V\tI/mA\tcycle number\t\n" + body
    )


# (file name, file text from the bad cell, read options, line of the bad cell, column name)
CASES = {
    "bdf": ("bad.csv", bdf, {}, 3, "voltage_volt"),
    "arbin": ("arbin.csv", arbin, {}, 4, "Current(A)"),
    "generic": ("run.csv", generic, {"format": "csv", "mapping": GENERIC_MAPPING}, 7, "E(mV)"),
    "biologic-mpt": ("cycle.mpt", mpt, {}, 9, "Ewe/V"),
}


@pytest.mark.parametrize("reader", list(CASES))
@pytest.mark.parametrize("text", ["abc", "3.2V", "1_000", "#REF"])
def test_text_in_a_numeric_column_is_a_parse_error(tmp_path: Path, reader: str, text: str) -> None:
    name, make, options, line, column = CASES[reader]
    path = write(tmp_path, name, make(text))
    expected = (
        f"{name}, row {line}, column {column!r}: not a number: expected a number, found {text!r}"
    )
    with pytest.raises(ParseError, match="^" + re.escape(expected) + "$") as info:
        read(path, **options)
    err = info.value
    assert (err.file, err.row, err.column) == (name, line, column)
    assert (err.expected, err.found) == ("a number", text)


@pytest.mark.parametrize("reader", list(CASES))
@pytest.mark.parametrize("missing", ["", "NaN", "nan", "N/A", "inf", "-inf", "Infinity", " NaN "])
def test_missing_values_still_go_to_the_repair_path(
    tmp_path: Path, reader: str, missing: str
) -> None:
    name, make, options, line, _column = CASES[reader]
    path = write(tmp_path, name, make(missing))
    result = read(path, **options)
    assert len(result.table) == (4 if reader == "bdf" else 5)
    repaired = [w for w in result.warnings if "NaN/Inf value(s) linearly interpolated" in w]
    assert repaired, result.warnings
    assert f"(rows {line})" in repaired[0]
    assert np.isfinite(result.table.to_numpy()).all()


def test_the_reported_example(tmp_path: Path) -> None:
    """The CLI case of the bug report: a warning and an interpolated value before the fix."""
    path = write(tmp_path, "bad.csv", bdf("abc"))
    with pytest.raises(
        ParseError,
        match=r"^bad\.csv, row 3, column 'voltage_volt': .*expected a number, found 'abc'$",
    ):
        read(path)


def test_text_after_missing_values_is_still_found(tmp_path: Path) -> None:
    """Missing values before the stray text do not hide it; the first bad row is named."""
    text = (
        "test_time_second,voltage_volt,current_ampere\n"
        "0,0.1,-0.001\n60,NaN,-0.001\n120,,-0.001\n180,inf,-0.001\n240,0.1,oops\n"
        "300,0.1,-0.001\n360,x,-0.001\n"
    )
    path = write(tmp_path, "later.csv", text)
    with pytest.raises(ParseError) as info:
        read(path)
    # voltage_volt is converted first: its first non-number is on line 8.
    assert (info.value.row, info.value.column, info.value.found) == (8, "voltage_volt", "x")


def test_decimal_comma_mpt_with_a_stray_text(tmp_path: Path) -> None:
    """With decimal commas the numbers around the stray text are numbers, not the error."""
    path = write(tmp_path, "eu.mpt", mpt("n.d.", decimal_comma=True))
    with pytest.raises(ParseError) as info:
        read(path)
    assert (info.value.row, info.value.column, info.value.found) == (9, "Ewe/V", "n,d,")
    good = write(tmp_path, "eu_ok.mpt", mpt("NaN", decimal_comma=True))
    table = read(good).table
    np.testing.assert_allclose(table["voltage_volt"], [3.0, 3.1, 3.2, 3.3, 3.4])


def test_generic_csv_decimal_comma_with_a_stray_text(tmp_path: Path) -> None:
    path = write(tmp_path, "eu.txt", "time;U;I\n0;3,5;1,5\n1;3,6;1,5\n2;abc;1,5\n3;3,6;1,5\n")
    mapping = {"test_time_second": "time", "voltage_volt": "U", "current_ampere": "I"}
    with pytest.raises(ParseError, match=r"^eu\.txt, row 4, column 'U': .*found 'abc'$"):
        read(path, format="csv", mapping=mapping, decimal_comma=True)


def test_maccor_duration_column_with_a_stray_text(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "m.txt",
        "Today's Date 1/1/2020\nRec#\tCyc#\tStep\tTestTime\tStepTime\tAmp-hr\tWatt-hr\tAmps\tVolts\tState\n"
        "1\t0\t1\t0d 00:00:00.00\t0d 00:00:00.00\t0\t0\t0\t3.5\tR\n"
        "2\t0\t1\tsoon\t0d 00:00:01.00\t0\t0\t0\t3.5\tR\n"
        "3\t0\t1\t0d 00:00:02.00\t0d 00:00:02.00\t0\t0\t0\t3.5\tR\n",
    )
    with pytest.raises(
        ParseError,
        match=r"^m\.txt, row 4, column 'TestTime': .*expected a duration \(HH:MM:SS\) or a "
        r"number, found 'soon'$",
    ):
        read(path)


def test_to_float_on_excel_like_mixed_column() -> None:
    values = pd.Series([0.5, "1.5", None, "NaN", np.nan, " -inf ", 2], dtype=object)
    out = to_float(values, file="book.xlsx", column="Voltage(V)", first_row=2)
    np.testing.assert_array_equal(out[:2], [0.5, 1.5])
    assert np.isnan(out[2:5]).all() and not np.isfinite(out[5]) and out[6] == 2.0
    bad = pd.Series([0.5, 1.0, "Err:502", "abc"], dtype=object)
    with pytest.raises(ParseError) as info:
        to_float(bad, file="book.xlsx", column="Voltage(V)", first_row=2)
    assert str(info.value) == (
        "book.xlsx, row 4, column 'Voltage(V)': not a number: expected a number, found 'Err:502'"
    )


def test_to_float_keeps_numeric_columns_as_they_are() -> None:
    values = pd.Series(np.array([1.0, np.nan, np.inf]))
    out = to_float(values, file="f.csv", column="v", first_row=2)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [1.0, np.nan, np.inf])


def test_timedelta_seconds_accepts_plain_seconds_among_durations() -> None:
    values = pd.Series(["00:00:01", "2.5", None, "nan", "1d 00:00:00"])
    out = timedelta_seconds(values, file="f.csv", column="Time", first_row=2)
    np.testing.assert_allclose(out[[0, 1, 4]], [1.0, 2.5, 86400.0])
    assert np.isnan(out[[2, 3]]).all()


def test_generic_csv_decimal_comma_time_column_with_a_stray_text(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt", "time;U;I\n0;3,5;1,5\n0,5;3,6;1,5\n?;3,6;1,5\n1,5;3,6;1,5\n")
    mapping = {"test_time_second": "time", "voltage_volt": "U", "current_ampere": "I"}
    with pytest.raises(
        ParseError, match=r"^t\.txt, row 4, column 'time': .*expected a number, found '\?'$"
    ):
        read(
            path, format="csv", mapping=mapping, decimal_comma=True, units={"test_time_second": "h"}
        )
