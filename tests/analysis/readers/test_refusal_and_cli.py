"""A file no reader recognises is refused with the closest readers, the columns they expect
against those found, and a mapping that reads it; the mapping given on the command line does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis.__main__ import main
from analysis.readers import ParseError, read
from tests.analysis.readers.cycler_files import VARIANTS, small_rows

ROOT = Path(__file__).resolve().parents[3]
HOMEMADE = (
    "Instrument: homemade potentiostat v2\n"
    "Elapsed Time (s);Cell Potential (V);I (mA);Cycle\n"
    "0;3,1;1,0;1\n1;3,2;1,0;1\n2;3,3;-1,0;1\n"
)


def test_unrecognised_table_lists_closest_readers_and_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "homemade.csv"
    path.write_text(HOMEMADE)
    with pytest.raises(ParseError) as err:
        read(path)
    text = str(err.value)
    assert "columns found (line 2): Elapsed Time (s), Cell Potential (V), I (mA), Cycle" in text
    assert "closest readers:" in text
    assert (
        "--format csv --map test_time_second='Elapsed Time (s)' "
        "--map voltage_volt='Cell Potential (V)' --map current_ampere='I (mA)'" in text
    )


def test_a_renamed_vendor_column_points_at_its_reader(tmp_path: Path) -> None:
    name, writer, _ = VARIANTS["maccor-seconds"]
    source = writer(tmp_path / name, small_rows())
    renamed = tmp_path / "renamed.txt"
    renamed.write_text(source.read_text("latin-1").replace("Rec#", "Record"), "latin-1")
    with pytest.raises(ParseError) as err:
        read(renamed)
    first = str(err.value).split("closest readers:\n")[1].splitlines()[0]
    assert first.startswith("  maccor: expects Rec#, Test (Sec), Amps, Volts, State")
    assert "missing Rec#" in first


def test_the_suggested_mapping_reads_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "homemade.csv"
    path.write_text(HOMEMADE)
    out = tmp_path / "table.bdf.parquet"
    status = main(
        [
            "read",
            str(path),
            "--format",
            "csv",
            "--map",
            "test_time_second=Elapsed Time (s)",
            "--map",
            "voltage_volt=Cell Potential (V)",
            "--map",
            "current_ampere=I (mA)",
            "--out",
            str(out),
        ]
    )
    assert status == 0, capsys.readouterr().err
    table = read(out).table
    np.testing.assert_allclose(table["voltage_volt"], [3.1, 3.2, 3.3])  # decimal commas found
    np.testing.assert_allclose(table["current_ampere"], [1e-3, 1e-3, -1e-3])  # mA from the header


def test_read_command_imports_only_what_reading_needs(tmp_path: Path) -> None:
    name, writer, _ = VARIANTS["neware-bts7"]
    path = writer(tmp_path / name, small_rows())
    code = (
        "import sys; from analysis.__main__ import main; main(['read', sys.argv[1]]); "
        "print(sorted(m for m in sys.modules if m.startswith(('scipy', 'analysis.eis', "
        "'analysis.cli.eis', 'analysis.cli.mechanics', 'analysis.pipelines', 'analysis.cycling'))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_every_command_is_found_in_the_module_the_lazy_table_names() -> None:
    import argparse

    from analysis import cli
    from analysis.__main__ import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == set(cli.COMMANDS)
    for command, module in cli.COMMANDS.items():
        lazy = next(
            a for a in build_parser(command)._actions if isinstance(a, argparse._SubParsersAction)
        )
        assert command in lazy.choices, (command, module)
