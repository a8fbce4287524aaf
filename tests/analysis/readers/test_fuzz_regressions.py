"""Inputs bench/fuzz.py found that made a reader raise something other than ParseError,
minimised (``bench/fuzz.py --reader NAME --minimise FILE``). Each must now be refused with a
ParseError that names the file and says what is wrong."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from analysis.readers import ParseError, read

CRASHES = [
    # an empty file forced to the XLSX reader: openpyxl's BadZipFile escaped
    pytest.param("cycler-xlsx", "export.xlsx", b"", "damaged", id="cycler-xlsx-empty"),
    # a ZIP end record pointing at a central directory entry that is not there
    pytest.param(
        "neware-nda",
        "run.nda",
        b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00P\x00\x00\x00\xa3\x03\x00\x00\x00\x00",
        "damaged",
        id="neware-nda-dangling-zip-end-record",
    ),
    # a carriage return inside an unquoted field: the csv module's own error escaped
    pytest.param("autolab_nova_eis", "nova.txt", b"3\r;;;;;;", "damaged", id="autolab-bare-cr"),
    pytest.param("peel_csv", "peel.csv", b"a,b\n1\r2,3\n", "damaged", id="peel-bare-cr"),
]


def _zip_with_a_name_that_is_no_utf8() -> bytes:
    """A ZIP whose central directory flags its member name as UTF-8 while it is not (the
    fuzzer's 811-byte input came down to this): zipfile raised UnicodeDecodeError while the
    container limits listed the members, before any reader ran."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("xl/a.xml", "x")
    data = buf.getvalue()
    i = data.index(b"PK\x01\x02")
    data = data[: i + 8] + (0x800).to_bytes(2, "little") + data[i + 10 :]
    return data.replace(b"xl/a.xml", b"xl/\x9d.xml")


def test_a_zip_member_name_that_is_no_utf8_is_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes(_zip_with_a_name_that_is_no_utf8())
    with pytest.raises(ParseError, match=r"export\.xlsx"):
        read(path, format="cycler-xlsx")


@pytest.mark.parametrize(("reader", "name", "data", "says"), CRASHES)
def test_fuzz_crash_is_a_parse_error(
    tmp_path: Path, reader: str, name: str, data: bytes, says: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ParseError) as caught:
        read(path, format=reader)
    assert name in str(caught.value) and says in str(caught.value)


def test_a_parquet_column_name_that_is_no_utf8_is_a_parse_error(tmp_path: Path) -> None:
    """The fuzzer's 2,628-byte BDF Parquet came down to a column name that is no UTF-8:
    pyarrow raised UnicodeDecodeError while the container limits read the footer."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"abcd": [1.0, 2.0]}), buf, store_schema=False)
    path = tmp_path / "run.parquet"
    path.write_bytes(buf.getvalue().replace(b"abcd", b"\x9d\x8f\xdf\xab"))
    with pytest.raises(ParseError, match=r"run\.parquet"):
        read(path, format="bdf")


def test_a_malformed_row_of_bytes_that_are_no_utf8_names_its_row_and_prints_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pyarrow decodes a malformed row as UTF-8 before its invalid-row handler runs; bytes past
    # the sniffed head (256 KiB, taken as UTF-8) that are not UTF-8 failed there, and pyarrow
    # printed "Exception ignored in ... on_bad: UnicodeDecodeError" (bench/fuzz.py's log).
    seen: list[object] = []
    monkeypatch.setattr("sys.unraisablehook", seen.append)
    header = "Test_Time(s),Cycle_Index,Step_Index,Current(A),Voltage(V),Data_Point"
    rows = [f"{k}.0,1,1,0.001,3.{k % 10}00,{k + 1}" for k in range(12_000)]
    rows[11_000] = "11000.0,1,1,0.001,3.\xff\xfe00,,extra"
    path = tmp_path / "arbin.csv"
    path.write_bytes("\n".join([header, *rows]).encode("latin-1") + b"\n")
    with pytest.raises(ParseError) as caught:
        read(path)
    assert caught.value.row == 11_002  # header on line 1, rows from line 2
    assert "arbin.csv" in str(caught.value)
    assert caught.value.found == "11000.0,1,1,0.001,3.\\xff\\xfe00,,extra"
    assert seen == []  # nothing reached the previous hook (nothing printed)
