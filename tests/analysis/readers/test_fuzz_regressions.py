"""Inputs bench/fuzz.py found that made a reader raise something other than ParseError,
minimised (``bench/fuzz.py --reader NAME --minimise FILE``). Each must now be refused with a
ParseError that names the file and says what is wrong."""

from __future__ import annotations

import base64
import io
import zipfile
import zlib
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


# bench/fuzz.py's 4 kB input (zlib + base64): a Parquet footer declaring a 128-bit integer
# column; pyarrow's ArrowNotImplementedError escaped the container limits' footer read
_PARQUET_INT128 = (
    "eNq1Vg9MW8cZv2cbcAwJhHBvNrwS1AmX0QxDHGjcOVWf3xnHwTH4D+ZPO60GjGkwfwKmNnSjXkqjlKZN1FRpRSOU"
    "NZPSaihDWdRmG41Y1WpTFBhLpqztpmXpWJRlW5aszepkCdvdvec/EIeNSLP83n13332/3+99d++7V8c7K6ACKmGO"
    "DcogAOAlJsLgRg4BzIHqDbAUN+kwnasCJQriUNM7mSiPyHBTyoBSOZRpKkF6jkadKQy2BnxF1u42Xxgq2VI2yI4w"
    "WqVxaTSmxOg23FAkEH0IfLA/sjuf0LKwcDGtLJk2M02iZeTRfCbBrHIFfb1JxLsY9lVGe5UxLkXAnFpYJlFnrooo"
    "cOP09QczcCsIRUjo8KdUQeaoM6QZKYRkSUJWUSHuwV4f1THOsMcY7bzcmAID0/xOBl9jCBGIESmpyvLhx9WiJWXb"
    "A6IZ4/ueeP/B0SORsey83T8fvJpb5h15ybZ5f2/TdNA7fOjalOqyCk99QwYO/rWz5tApPtd5+Prfp56/MP/Ta1V9"
    "c2VGv7EFL6xKUwzSNWqF++kuUeJxOXuF0d5KM96LXdS5N5XOaCSFzsJTT9x5cHTd5dV16sIv+ZMja1/5gzZtrAOu"
    "Mbofb8CTpnPAU0Nf//ixCwXrDDuO37gxfCR06diH9m/sPJB985/PvcAQjUBT7Fanq3qC3kBRstLPGO1ppfFe/Fje"
    "CQY+ukgoWWC8+mB/9kdE4AYQ3ffaD663ry46LDPIC0f/8ma4FCjY6oV2nBulmJtMYaCvz9cdLBngv0aJoww7rB3P"
    "NC6FE/mmFmdGoX9TYVYrZp78FFFCaZ+Q0djVvltungnKzOAwY263A/OY5t8I9C6gsZt3kP55fMnvoJnAbTT243+h"
    "9vO30MzETQSKomjszzfwdQ3pD1xEBD+h2NMTCHr9vpIuj6j4FsPukmkXsoxLBaWWDCZHkVoRW8SYZLDkN3PmRdPM"
    "mVWC/kd2AdvCjG1CANOzgl5/XdCfW4VmsgpQe/UGBCJbsHQ70n/+LTSzYSdqr/ou0p97ERGWuOTVgrfX2/p0cLCk"
    "i+9PFj2fbVwqKbXonOOZ5v8u+oWaHOGBT/cJA5+fF069twZdPFuBvvpbNzp4LoR+8s2XkfMX42j8oUn0bPhn6MJ7"
    "Z5Hqwh/RW3/6Av3mE7w+V1VmwpLIs7nb1+fHkhsWSZ7NNS4VhAvMnAxOMjYiGctzgaj/8pOPdE//Klz4t+8d+SR4"
    "8odn13z7dkbB+9Ujj3zHOcnwF6dP9g4d40GY/+XrN3RnZ+e+NL88sTCpPyBk5b5jPOp4vUR9NPLcCVfbltNjxb9/"
    "+2jz+XOrSakqg1WLSpXy7bqDv67FeVArw5mvUIvUq0wpP2kZRXv4UUPJOx+NPVt+2srgba+QapcCeYPim3ZVzp6X"
    "aU9A473wKv9PFVzoGegOQmVerIL/Q31XBdeslWlEW2og0LBLhmWLh2M1F3tIDU7yxItHzMS1bzk3LjjJdKQMaMQl"
    "Tx4mrxpuyHu3aLYojuzsFMNk9yRTx5KNzdgKLP+kHLsRNrOAWodl8CnJnFDAdsm8lQavMJJ9Wgk/i9njmXBYMhey"
    "4C6ZZM9nJ+zZ3IS96ytwTyz0+xqRCK/jma2Kvp6eIGRxp1i26GOgON82sa4ol87DrqTTOsmThT2J47MY2DgyqsKj"
    "9LASTZU7fiYAqKQ0iWItjSQVQ3Fkca2RZiW9yvhtJSxk+wf25nKc+AYnlNJdmVDKlmo4zZR2L8Ot+MuHfWM9zGMv"
    "58MyoI3IuZV/v7AT6yHLHiwgAK+mcffz3cF+QCA+LICbgHY+g7uPLwL24/VQzUYL4GNAO6GKIyStzf92XrPXCM67"
    "HME5lMWt+Pxl9xThJ/mCo9nM5lZ+GrLjRVjAWw8QgEtrufs5m9h3CcQchZjL41Z+UrCzBGCBAoyqufupxuwlAjFR"
    "SPI4ks+lrqnsMjWVXSCJvFKINbCzLFuqVbK31+aRF1ydxTudtQ2P9rd2+Lq86miGjv54ged5M774zc/gbtjBi306"
    "VMPz/WQCbh38UJ1epwtRv43c/LwVTwtht9CJ3XwriUEhE3ZZSb+CTNoWwjdTDzFryY04eKFJ167TbSVdEx20ii6x"
    "wX4X8Ys9Empyt1k8IavZ/kxbQ2U5JrGmju+R4pFXh5+FUtGbydzU6AxQV53boNNtbuVjD42fgqKEpFC+BSdhM0UV"
    "yJjZM9DcuK3b5+oIevTbe3nB/fCy8SgRjwi12d7Raqne4W10VtZYKkytg51kehPRd7f+7RKIaSddGaq/n/QbWjaG"
    "y5sa2gIYo6HGIViXjxe8S+JRW+O2wWacu5qtHhOO37R8PKqh8f54/utb9M6OFsFU722owHlEPSTeeu/4KinewvNN"
    "ZApNlccSCDZTTaiL+DtppCO+P5oonphPi8nKW/w4DvctDoIfIiD1EhS9GeowyCAlpMQCbR2kpXq2o/5Qrb5+aPuO"
    "fj4eVG1wuKsNyOFxVjvLDS5Xvd3kRrF9R/bHDrJ+MTzpEU0PE720UzdE/GbKQ6RX28ubG3m/Z2sgRJ/NRv137w+/"
    "hG8j+8NAe4I/Ee9qqOxsbsQDtTS+PJ5UUyIe47kIL26dEq6UcLQxrk8MsVJ9dP/aK5s2hgNWc2Cg2eLZxPNbtgB1"
    "el1PwNvXr5nC5+Pyf7AGF/k63lnxH8vJqcg="
)


def _zip_flagged_as_compressed_patch_data() -> bytes:
    """An XLSX whose central directory flags every member as "compressed patched data" (general
    purpose bit 5), which zipfile refuses with NotImplementedError when openpyxl opens a member."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    data = bytearray(buf.getvalue())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        data[at + 8 : at + 10] = (0x20).to_bytes(2, "little")
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


@pytest.mark.parametrize(
    ("reader", "name", "data"),
    [
        pytest.param(
            "bdf",
            "table.parquet",
            zlib.decompress(base64.b64decode("".join(_PARQUET_INT128))),
            id="bdf-parquet-int128",
        ),
        pytest.param(
            "cycler-xlsx",
            "export.xlsx",
            _zip_flagged_as_compressed_patch_data(),
            id="xlsx-compressed-patch-flag",
        ),
    ],
)
def test_a_feature_the_library_does_not_read_is_a_parse_error(
    tmp_path: Path, reader: str, name: str, data: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    for fmt in (reader, None):  # forced, and detected from the content
        with pytest.raises(ParseError) as caught:
            read(path, format=fmt)
        assert name in str(caught.value)
