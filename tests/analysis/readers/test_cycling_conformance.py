"""Cycling readers on real instrument files (shared conformance data; skipped when absent).

Reference values are those the origin projects assert (MANIFEST.tsv), or the vendor's own
exports (Neware .parquet files written by Neware's software).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.readers import ParseError, read
from analysis.readers.canonical import COLUMNS, REQUIRED

C = "cycling/"
CELLPY_CUSTOM = {
    "test_time_second": "test_time",
    "voltage_volt": "voltage",
    "current_ampere": "current",
    "cycle_count": "cycle",
    "step_index": "step",
    "charging_capacity_ah": "charge_capacity",
    "discharging_capacity_ah": "discharge_Capacity",
    "unix_time_second": "date_stamp",
}

# file -> (format detected, rows asserted by the origin project)
EXPECTED_ROWS = {
    "jepegit+cellpy/testdata/data/20160805_test001_45_cc_01.res": ("arbin-res", 10261),
    "jepegit+cellpy/testdata/data/biol.mpr": ("biologic-mpr", 23561),
    "jepegit+cellpy/testdata/data/maccor_001.txt": ("maccor", 6704),
    "jepegit+cellpy/testdata/data/neware_uio.csv": ("neware-csv", 9065),
    "be-smith+navani/Example_data/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx": (
        "cycler-xlsx",
        4526,
    ),
    "be-smith+navani/Example_data/jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr": (
        "biologic-mpr",
        46102,
    ),
    "be-smith+navani/Example_data/00_test_02_MB_C01.mpr": ("biologic-mpr", 11),
    "be-smith+navani/Example_data/00_test_01_OCV_C01.mpr": ("biologic-mpr", 2),
    "be-smith+navani/Example_data/test.ndax": ("neware-nda", 1464),
    "battery-data-alliance+battery-data-format/tests/data/mpr/MB-0.mpr": ("biologic-mpr", 2),
    "battery-data-alliance+battery-data-format/tests/data/nda/filetype14-0.ndax": (
        "neware-nda",
        67,
    ),
    "battery-data-alliance+battery-data-format/tests/data/bdf/sample.bdf.csv": ("bdf", 3),
    "TRI-AMDD+beep/beep/tests/test_files/PredictionDiagnostics_000151_test.052": ("maccor", 333),
    "TRI-AMDD+beep/beep/tests/test_files/PredictionDiagnostics_000151_paused.052": ("maccor", 332),
    "TRI-AMDD+beep/beep/tests/test_files/BEEPDatapath_maccor_paused_memloaded.csv": (
        "beep-csv",
        332,
    ),
    "TRI-AMDD+beep/beep/tests/test_files/raw/test_Nova_Form-CH01-01_short.csv": ("novonix", 3942),
    "TRI-AMDD+beep/beep/tests/test_files/raw/test_loopsnewoutput_MB_CE1_short10k.csv": (
        "biologic-mpt",
        9999,
    ),
    "TRI-AMDD+beep/beep/tests/test_files/FastCharge_000025_CH8.csv": ("arbin", 248),
    "g-kimbell+fastnda/tests/test_data/interp-test.csv": ("neware-csv", 333),
    "ROVI-org+battery-data-toolkit/tests/files/example-data/"
    "single-resistor-constant-charge_from-charged.hdf": ("battdat-hdf5", 2401),
    "ROVI-org+battery-data-toolkit/tests/files/example-data/"
    "single-resistor-constant-charge_from-discharged.hdf": ("battdat-hdf5", 2401),
    "TRI-AMDD+beep/beep/tests/test_files/indigo_test_sample.h5": ("indigo-hdf5", 20000),
}

NEWARE_WITH_VENDOR_EXPORT = [
    "46_1_5_60_bts16.ndax",
    "TESTCELL0001-Test_Data_Collection_Ndc17.ndax",
    "TestFile.nda.zip",
    "Unit27_Example_Data_File.ndax",
    "interp-test.ndax",
    "nda_v8.nda.zip",
    "new_nda_file.nda.zip",
    "scrubbed_ndc2.ndax",
]

# Files in the cycling folder that are not time series (companions, summaries, references):
# they must fail with a ParseError.
NOT_CYCLING_SUFFIXES = (
    ".json",
    ".yml",
    ".mpl",
    ".parquet",
    "_Metadata.csv",
    "_metadata.csv",
    "summary.csv",
)


def _canonical_ok(table: pd.DataFrame) -> None:
    assert set(REQUIRED) <= set(table.columns)
    assert set(table.columns) <= set(COLUMNS)
    assert all(table[c].dtype == np.float64 for c in table.columns)
    assert np.isfinite(table.to_numpy()).all()
    assert (np.diff(table["test_time_second"].to_numpy()) >= 0).all()


@pytest.mark.parametrize("relpath", sorted(EXPECTED_ROWS))
def test_real_file_parses_to_the_asserted_row_count(conformance_data: Path, relpath: str) -> None:
    fmt, rows = EXPECTED_ROWS[relpath]
    result = read(conformance_data / C / relpath)
    assert result.format == fmt
    assert result.kind == "cycling"
    # a mixed file's impedance points are its companion EIS table, not cycling rows
    companion = sum(len(c.table) for c in result.companions.values())
    assert len(result.table) + companion == rows
    _canonical_ok(result.table)


def test_every_cycling_file_parses_or_fails_clearly(conformance_data: Path) -> None:
    root = conformance_data / C
    seen = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "goldens" not in p.parts):
        seen += 1
        try:
            result = read(path)
        except ParseError as exc:
            assert path.name in str(exc)
            continue
        except ImportError:
            # BioLogic impedance goes to the EIS side's module; only PEIS files may get here.
            assert "PEIS" in path.name
            continue
        assert not path.name.endswith(NOT_CYCLING_SUFFIXES), path
        if result.kind == "cycling":
            _canonical_ok(result.table)
    assert seen > 50


@pytest.mark.parametrize("name", NEWARE_WITH_VENDOR_EXPORT)
def test_neware_matches_the_vendor_export(conformance_data: Path, name: str) -> None:
    folder = conformance_data / C / "g-kimbell+fastnda/tests/test_data"
    table = read(folder / name).table
    ref = pd.read_parquet(folder / (name.split(".")[0] + ".parquet"))
    assert len(table) == len(ref)
    # fastnda's tolerances: 6e-5 V, 0.05 mA, 6e-4 mAh (vendor signs capacity in older files).
    assert np.abs(table["voltage_volt"] - ref["Voltage(mV)"] / 1e3).max() <= 6e-5
    assert np.abs(table["current_ampere"] - ref["Current(uA)"] / 1e6).max() <= 0.05e-3
    capacity_mah = (table["charging_capacity_ah"] + table["discharging_capacity_ah"]) * 1e3
    ref_mas = ref["Capacity(mAs)"].abs().to_numpy(np.float32)
    # Both sides are float32 (Neware's export, fastnda's counter): at 5.8 Ah = 2.1e7 mAs one
    # float32 step is 2 mAs = 5.6e-4 mAh, so the ulps come on top of fastnda's 6e-4 mAh.
    tolerance = 6e-4 + 2 * np.spacing(ref_mas).astype(np.float64) / 3600
    assert (np.abs(capacity_mah - ref_mas / 3600) <= tolerance).all()
    np.testing.assert_array_equal(table["step_count"], ref["Step Count"])
    np.testing.assert_array_equal(table["cycle_count"], ref["Cycle Index"])
    # Neware's Total Time stops while a test is paused; the canonical time adds the pause back
    # (from the wall clock) and records it, so the vendor's time is ours minus the pauses.
    result = read(folder / name)
    added = np.zeros(len(ref))
    for pause in result.metadata.get("pauses", []):
        added[pause["row"] - 1 :] += pause["duration_s"]
    np.testing.assert_allclose(table["test_time_second"] - added, ref["Total Time"], atol=1e-6)


def test_corrupt_neware_file_fails_clearly_unless_asked_to_salvage(conformance_data: Path) -> None:
    folder = conformance_data / C / "g-kimbell+fastnda/tests/test_data"
    with pytest.raises(
        ParseError, match=r"Unit27_Example_Corrupt\.ndax: the Neware file is damaged.*TestInfo\.xml"
    ):
        read(folder / "Unit27_Example_Corrupt.ndax")
    salvaged = read(folder / "Unit27_Example_Corrupt.ndax", on_damage="warn")
    ref = pd.read_parquet(folder / "Unit27_Example_Corrupt.parquet")
    assert len(salvaged.table) == len(ref) == 301
    assert any("damaged" in w for w in salvaged.warnings)


@pytest.mark.parametrize("engine", ["access-parser", "mdbtools"])
def test_arbin_res_matches_cellpy(conformance_data: Path, engine: str) -> None:
    if engine == "mdbtools":
        import shutil

        if not shutil.which("mdb-export"):
            pytest.skip("mdbtools not installed")
    data = conformance_data / C / "jepegit+cellpy"
    result = read(data / "testdata/data/20160805_test001_45_cc_01.res", engine=engine)
    table = result.table
    golden = pd.read_parquet(data / "tests/data/goldens/loader_arbin_res/raw.parquet")
    assert len(table) == 10261
    assert result.metadata["engine"] == engine  # recorded with the parsed table
    # mdb-export prints 8 significant digits; access-parser gives the stored doubles.
    rtol = 1e-12 if engine == "access-parser" else 1e-7
    np.testing.assert_allclose(table["voltage_volt"], golden["voltage"], rtol=rtol)
    np.testing.assert_allclose(table["test_time_second"], golden["test_time"], rtol=rtol)
    assert table["test_time_second"].iloc[0] == pytest.approx(300.01048, abs=1e-5)
    assert table["step_count"].max() == 103  # cellpy: 103 steps
    assert table["cycle_count"].max() == 18  # cellpy: 18 cycles
    cycle3_charge = table[(table.cycle_count == 3) & (table.step_index == 6)]
    assert len(cycle3_charge) == 378  # cellpy: the charge step of cycle 3 has 378 points
    assert (cycle3_charge["current_ampere"] > 0).all()
    assert cycle3_charge["discharging_capacity_ah"].max() == 0.0


def test_navani_arbin_half_cell(conformance_data: Path) -> None:
    path = (
        conformance_data
        / C
        / "be-smith+navani/Example_data/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx"
    )
    table = read(path).table
    assert (table["cycle_count"] == 1).all()
    first = table.loc[table["current_ampere"] != 0, "current_ampere"].iloc[0]
    assert first < 0  # lithiation (plating-like) first
    per_step = table.groupby("step_count").agg(
        i=("current_ampere", "mean"),
        chg=("charging_capacity_ah", "max"),
        dchg=("discharging_capacity_ah", "max"),
    )
    assert per_step["dchg"].iloc[1] * 1e3 == pytest.approx(5.798033, rel=1e-4)
    assert per_step["chg"].iloc[2] * 1e3 == pytest.approx(5.698108, rel=1e-4)


def test_beep_paused_maccor_shows_the_pause(conformance_data: Path) -> None:
    folder = conformance_data / C / "TRI-AMDD+beep/beep/tests/test_files"
    for name in (
        "PredictionDiagnostics_000151_paused.052",
        "BEEPDatapath_maccor_paused_memloaded.csv",
    ):
        result = read(folder / name)
        gaps = np.diff(result.table["test_time_second"].to_numpy())
        assert gaps.max() == pytest.approx(7201.0, abs=0.05)
        assert result.metadata["time_gaps"][0]["duration_s"] == pytest.approx(7201.0, abs=0.05)
        assert any("pause" in w for w in result.warnings)
    unpaused = read(folder / "PredictionDiagnostics_000151_test.052")
    assert "time_gaps" not in unpaused.metadata


def test_maccor_sign_from_state(conformance_data: Path) -> None:
    table = read(conformance_data / C / "jepegit+cellpy/testdata/data/maccor_001.txt").table
    # Row 3 of the file is state D with Amps written +0.50401: a discharge.
    assert table["current_ampere"].iloc[2] == pytest.approx(-0.50401)


def test_beep_biologic_export_time(conformance_data: Path) -> None:
    path = (
        conformance_data
        / C
        / "TRI-AMDD+beep/beep/tests/test_files/raw/test_loopsnewoutput_MB_CE1_short10k.csv"
    )
    table = read(path).table
    assert table["test_time_second"].max() == pytest.approx(102040.77, abs=0.01)


def test_biologic_mixed_gcpl_eis_is_cycling_with_its_spectra(conformance_data: Path) -> None:
    result = read(conformance_data / C / "jepegit+cellpy/testdata/data/biol.mpr")
    assert result.kind == "cycling"
    assert result.metadata["mixed"] == {"impedance_rows": 310, "dc_rows": 23251}
    assert len(result.table) == 23251  # no impedance point among the cycling rows
    eis = result.part({"eis"})
    assert eis is not None and eis.kind == "eis" and len(eis.table) == 310


def test_bdf_neware_time_bug_repaired(conformance_data: Path) -> None:
    path = next(
        (
            conformance_data
            / C
            / "battery-data-alliance+battery-data-format/docs/examples/reference"
        ).glob("*Time_Bug.bdf.csv")
    )
    result = read(path)
    t = result.table["test_time_second"].to_numpy()
    assert (np.diff(t) >= 0).all()
    assert np.diff(t).max() < 3600  # the resets were single rows, not pauses
    assert result.metadata["time_glitches"] == 19
    assert t[722] == pytest.approx(7200.0)  # line 724 of the file wrote 0.000


CELLPY_BAD = "jepegit+cellpy/testdata/bad/"


def test_cellpy_bad_good_small(conformance_data: Path) -> None:
    result = read(
        conformance_data / C / CELLPY_BAD / "custom_good_small.csv",
        format="csv",
        mapping=CELLPY_CUSTOM,
        units={"unix_time_second": "excel"},
    )
    assert len(result.table) == 60
    assert set(result.table["cycle_count"]) == {1.0}


def test_cellpy_bad_missing_column_names_it(conformance_data: Path) -> None:
    with pytest.raises(ParseError, match=r"custom_missing_column\.csv, row 20, column 'voltage'"):
        read(
            conformance_data / C / CELLPY_BAD / "custom_missing_column.csv",
            format="csv",
            mapping=CELLPY_CUSTOM,
        )


def test_cellpy_bad_missing_cycle_keeps_the_gap(conformance_data: Path) -> None:
    result = read(
        conformance_data / C / CELLPY_BAD / "custom_missing_cycle.csv",
        format="csv",
        mapping=CELLPY_CUSTOM,
    )
    assert len(result.table) == 40
    assert sorted(set(result.table["cycle_count"])) == [1.0, 3.0]


def test_cellpy_bad_nan_inf_repaired_with_warning(conformance_data: Path) -> None:
    result = read(
        conformance_data / C / CELLPY_BAD / "custom_nan_inf.csv",
        format="csv",
        mapping=CELLPY_CUSTOM,
    )
    assert len(result.table) == 60
    assert np.isfinite(result.table["voltage_volt"]).all()
    assert any("voltage_volt: 3 NaN/Inf" in w for w in result.warnings)


def test_cellpy_bad_truncated_last_row_dropped_with_warning(conformance_data: Path) -> None:
    result = read(
        conformance_data / C / CELLPY_BAD / "custom_truncated.csv",
        format="csv",
        mapping=CELLPY_CUSTOM,
    )
    assert len(result.table) == 59
    assert any("row 80: the last row is truncated" in w for w in result.warnings)


def test_cellpy_custom_data(conformance_data: Path) -> None:
    result = read(
        conformance_data / C / "jepegit+cellpy/testdata/data/custom_data_001.csv",
        format="csv",
        mapping=CELLPY_CUSTOM,
    )
    # cellpy's golden keeps 2444 rows, two of them the file's trailing empty ';;;;' lines.
    assert len(result.table) == 2442
    assert any("2 empty row(s) at the end" in w for w in result.warnings)
