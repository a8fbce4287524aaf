"""Every cycling reader's table, written as BDF (CSV and Parquet) and read back, is the same
table: same columns, same values to the last bit (CSV numbers are written in their shortest
exact form), same rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.readers import read
from analysis.simulate.writers.bdf import write_bdf
from tests.analysis.readers.cycler_files import VARIANTS, small_rows, write_arbin

#: One real file per cycling reader (the shared conformance set).
REAL = {
    "arbin-csv": "cycling/TRI-AMDD+beep/beep/tests/test_files/FastCharge_000025_CH8.csv",
    "arbin-xlsx": "cycling/be-smith+navani/Example_data/"
    "bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx",
    "biologic-mpr": "cycling/be-smith+navani/Example_data/"
    "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr",
    "biologic-export": "cycling/TRI-AMDD+beep/beep/tests/test_files/raw/"
    "test_loopsnewoutput_MB_CE1_short10k.csv",
    "neware-ndax": "cycling/g-kimbell+fastnda/tests/test_data/46_1_5_60_bts16.ndax",
    "neware-nda-zip": "cycling/g-kimbell+fastnda/tests/test_data/TestFile.nda.zip",
    "neware-csv": "cycling/jepegit+cellpy/testdata/data/neware_uio.csv",
    "maccor-raw": "cycling/TRI-AMDD+beep/beep/tests/test_files/PredictionDiagnostics_000151_test.052",
    "maccor-txt": "cycling/jepegit+cellpy/testdata/data/maccor_001.txt",
    "novonix": "cycling/TRI-AMDD+beep/beep/tests/test_files/raw/test_Nova_Form-CH01-01_short.csv",
    "beep": "cycling/TRI-AMDD+beep/beep/tests/test_files/BEEPDatapath_maccor_paused_memloaded.csv",
    "batterydata": "cycling/ROVI-org+battery-data-toolkit/tests/files/batterydata/p492-13-raw.csv",
    "battdat-hdf5": "cycling/ROVI-org+battery-data-toolkit/tests/files/example-data/"
    "single-resistor-constant-charge_from-charged.hdf",
    "indigo-hdf5": "cycling/TRI-AMDD+beep/beep/tests/test_files/indigo_test_sample.h5",
    "bdf": "cycling/battery-data-alliance+battery-data-format/docs/examples/reference/"
    "SINTEF__SLPBA842124HV__2024-10-23__Rate_25degC__Neware__Time_Bug.bdf.csv",
}


def assert_round_trip(table: pd.DataFrame, tmp_path: Path) -> None:
    for name in ("back.bdf.csv", "back.bdf.parquet"):
        back = read(write_bdf(tmp_path / name, table)).table
        assert list(back.columns) == list(table.columns), name
        for column in table.columns:
            np.testing.assert_array_equal(
                back[column].to_numpy(), table[column].to_numpy(), err_msg=f"{name}: {column}"
            )


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_simulated_variant_round_trips(tmp_path: Path, variant: str) -> None:
    name, writer, _ = VARIANTS[variant]
    assert_round_trip(read(writer(tmp_path / name, small_rows())).table, tmp_path)


def test_simulated_arbin_round_trips(tmp_path: Path) -> None:
    assert_round_trip(read(write_arbin(tmp_path / "arbin.csv")).table, tmp_path)


@pytest.mark.parametrize("reader", sorted(REAL))
def test_real_file_round_trips(conformance_data: Path, tmp_path: Path, reader: str) -> None:
    path = conformance_data / REAL[reader]
    if not path.exists():
        pytest.skip(f"{REAL[reader]} not in the conformance data")
    result = read(path)
    assert result.kind == "cycling"
    assert_round_trip(result.table, tmp_path)


def test_novonix_cc_to_cv_carry_over_is_counted_once(conformance_data: Path) -> None:
    # BEEP's Novonix sample carries its capacity on from the CC step (2) into the CV step (3);
    # the canonical counter starts the CV step from zero, so the half-cycle adds the CC part once.
    table = read(conformance_data / REAL["novonix"]).table
    step = table["step_index"].to_numpy()
    first_cv = int(np.argmax(step == 3))
    last_cc = first_cv - 1
    assert table["charging_capacity_ah"].iloc[last_cc] == pytest.approx(0.000669, abs=1e-6)
    assert table["charging_capacity_ah"].iloc[first_cv] < 1e-5
