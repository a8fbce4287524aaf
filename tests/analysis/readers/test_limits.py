"""Every decompressing reader is bounded: generated bombs (small on disk, large unpacked) of each
container kind are refused with an error naming the limit, before or while they unpack."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.readers import read
from analysis.readers._limits import LimitExceeded, limits

UNPACKED = 8 << 20  # 8 MiB of zeros: a few KB compressed


@pytest.fixture(autouse=True)
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    # The default floor (64 MiB) would let these small bombs through: 1 MiB here, ratio 100.
    monkeypatch.setenv("LABDB_READER_MIN_BYTES", str(1 << 20))


def zip_bomb(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABDB_READER_MAX_ROWS", "1_000")
    monkeypatch.setenv("LABDB_READER_MAX_RATIO", "10")
    bounds = limits()
    assert bounds.max_rows == 1000
    assert bounds.budget(1 << 20) == 10 << 20
    assert bounds.budget(1 << 40) == 2 << 30  # never above LABDB_READER_MAX_BYTES


@pytest.mark.parametrize(
    ("name", "members"),
    [
        ("bomb.nda.zip", {"bomb.nda": b"NEWARE" + bytes(UNPACKED)}),
        ("bomb.ndax", {"data.ndc": bytes(UNPACKED), "Step.xml": b"<Step/>"}),
        (
            "bomb.xlsx",
            {
                "[Content_Types].xml": b"<Types/>",
                "xl/workbook.xml": b"<workbook/>",
                "xl/worksheets/sheet1.xml": b"<row/>" * (UNPACKED // 6),
            },
        ),
    ],
)
def test_zip_bomb_is_refused_before_unpacking(
    tmp_path: Path, name: str, members: dict[str, bytes]
) -> None:
    path = zip_bomb(tmp_path / name, members)
    assert path.stat().st_size < 100_000
    with pytest.raises(LimitExceeded, match="unpacks to more than the reader limit") as err:
        read(path)
    assert "LABDB_READER_MAX_RATIO" in str(err.value)
    assert err.value.file == name


def test_spreadsheet_of_more_rows_than_a_worksheet_holds_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Within the byte budget (ratio raised): 1,100,000 small rows, which openpyxl would take
    # minutes to parse; a worksheet holds at most 1,048,576.
    monkeypatch.setenv("LABDB_READER_MAX_RATIO", "100000")
    sheet = b"<worksheet><sheetData>" + b"<row/>" * 1_100_000 + b"</sheetData></worksheet>"
    path = zip_bomb(
        tmp_path / "rows.xlsx",
        {"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": sheet},
    )
    assert path.stat().st_size < 100_000
    with pytest.raises(LimitExceeded, match="more rows than a worksheet holds") as err:
        read(path)
    assert err.value.expected == "at most 1,048,576 rows per worksheet"


def test_spreadsheet_over_the_row_limit_in_all_its_sheets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "export.xlsx"
    frame = pd.DataFrame({"Test_Time(s)": range(600), "Voltage(V)": 3.7, "Current(A)": 0.1})
    with pd.ExcelWriter(path) as writer:
        frame.to_excel(writer, sheet_name="Channel_1", index=False)
        frame.to_excel(writer, sheet_name="Channel_2", index=False)
    monkeypatch.setenv("LABDB_READER_MAX_ROWS", "1000")
    with pytest.raises(LimitExceeded, match="LABDB_READER_MAX_ROWS") as err:
        read(path)
    assert err.value.found == "at least 1,202 rows"  # two sheets of a header and 600 rows


def test_gzip_bomb_is_refused_while_it_unpacks(tmp_path: Path) -> None:
    path = tmp_path / "run.bdf.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(b"Test Time / s,Voltage / V,Current / A\n")
        fh.write(b"0,3.7,0.1\n" * (UNPACKED // 10))
    assert path.stat().st_size < 100_000
    with pytest.raises(LimitExceeded, match="the compressed stream unpacks to more"):
        read(path)


def test_gzip_file_within_the_limits_reads_as_what_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "run.bdf.csv.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(b"Test Time / s,Voltage / V,Current / A\n0,3.7,0.1\n1,3.8,0.1\n")
    result = read(path)
    assert result.format == "bdf"
    assert result.source_name == "run.bdf.csv.gz"
    assert result.metadata["compression"] == "gzip"
    np.testing.assert_allclose(result.table["voltage_volt"], [3.7, 3.8])


def bdf_parquet(path: Path, rows: int) -> Path:
    pd.DataFrame(
        {
            "test_time_second": np.zeros(rows),
            "voltage_volt": np.zeros(rows),
            "current_ampere": np.zeros(rows),
        }
    ).to_parquet(path, compression="zstd")
    return path


def test_parquet_bomb_is_refused_from_its_footer(tmp_path: Path) -> None:
    path = bdf_parquet(tmp_path / "bomb.parquet", UNPACKED // 8)
    assert path.stat().st_size < 100_000
    with pytest.raises(LimitExceeded, match="the Parquet table unpacks to more"):
        read(path)


def test_parquet_over_the_row_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = bdf_parquet(tmp_path / "rows.parquet", 5_000)
    monkeypatch.setenv("LABDB_READER_MAX_ROWS", "1000")
    with pytest.raises(LimitExceeded, match="LABDB_READER_MAX_ROWS") as err:
        read(path)
    assert err.value.found == "5,000 rows"
    monkeypatch.setenv("LABDB_READER_MAX_ROWS", "10000")
    assert len(read(path).table) == 5_000


def test_hdf5_bomb_is_refused_from_its_dataset_shapes(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "bomb.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("raw_data/voltage", data=np.zeros(UNPACKED // 8), compression="gzip")
    assert path.stat().st_size < 100_000
    with pytest.raises(LimitExceeded, match="the HDF5 datasets unpacks to more"):
        read(path)


def test_text_table_over_the_row_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "run.bdf.csv"
    path.write_text(
        "Test Time / s,Voltage / V,Current / A\n" + "".join(f"{i},3.7,0.1\n" for i in range(200))
    )
    monkeypatch.setenv("LABDB_READER_MAX_ROWS", "100")
    with pytest.raises(LimitExceeded, match="more rows than the reader limit of 100"):
        read(path)


def test_real_files_stay_within_the_default_limits(conformance_data: Path) -> None:
    # The conformance set's largest ratio (a Neware .nda.zip, 20x) is far from the default 100x.
    zipped = conformance_data / "cycling/g-kimbell+fastnda/tests/test_data/new_nda_file.nda.zip"
    assert len(read(zipped).table) > 0
