"""``python -m analysis`` imports pandas in a thread while Arrow parses the file (analysis.lazy):
that saves time only if nothing on the way to the parse imports pandas first. These tests run
the command in a fresh interpreter and look at ``sys.modules`` when pyarrow is asked to parse
the table, and check that the command's output is unchanged by the thread."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from analysis.simulate.writers.landt import write_landt_csv
from analysis.simulate.writers.novonix import write_novonix_csv
from tests.analysis.readers.cycler_files import small_rows, write_arbin

ROOT = Path(__file__).resolve().parents[2]

#: Runs the command line's main() without the background import, with the CSV parse of a file
#: (not of a header line in memory), by pyarrow or by polars (the typed fast path of
#: analysis.readers._text), recording whether pandas had been imported by then.
PROBE = """
import json, os, sys
import polars as pl
import pyarrow.csv as pacsv

seen = []

def recording(original):
    def read_csv(source, *args, **kwargs):
        if isinstance(source, (str, os.PathLike)):
            seen.append("pandas" in sys.modules)
        return original(source, *args, **kwargs)
    return read_csv

pacsv.read_csv = recording(pacsv.read_csv)
pl.read_csv = recording(pl.read_csv)
from analysis.__main__ import main
status = main(sys.argv[1:])
print(json.dumps({"status": status, "pandas_before_parse": seen}), file=sys.stderr)
"""


def _run(*argv: str) -> tuple[dict[str, object], dict[str, object]]:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROBE), *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    probe = json.loads(proc.stderr.strip().splitlines()[-1])
    return probe, json.loads(proc.stdout)


@pytest.mark.parametrize(
    ("name", "write"),
    [
        ("landt.csv", lambda p: write_landt_csv(p, small_rows())),
        ("novonix.csv", lambda p: write_novonix_csv(p, small_rows())),
        ("arbin.csv", write_arbin),
    ],
)
def test_the_cycling_command_parses_before_it_needs_pandas(tmp_path: Path, name, write) -> None:
    path = write(tmp_path / name)
    probe, result = _run("cycling", str(path), "--cell-type", "half", "--json")
    assert probe["status"] == 0
    assert probe["pandas_before_parse"] == [False]  # one parse, pandas not yet imported
    # the analysis ran on the whole file: two plating/stripping cycles
    assert result["summary"]["metrics"]["number_of_cycles"] == 2


def test_the_command_output_is_the_same_without_the_background_import(tmp_path: Path) -> None:
    path = write_landt_csv(tmp_path / "landt.csv", small_rows())
    argv = [sys.executable, "-m", "analysis", "cycling", str(path), "--cell-type", "half", "--json"]
    threaded = subprocess.run(argv, capture_output=True, cwd=ROOT, check=True, timeout=120)
    plain = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from analysis.__main__ import main; sys.exit(main(sys.argv[1:]))",
            *argv[3:],
        ],
        capture_output=True,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    assert threaded.stdout == plain.stdout
    assert json.loads(threaded.stdout)["summary"]["metrics"]["number_of_cycles"] == 2


def test_help_exits_cleanly_while_pandas_imports(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "cycling", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0
    assert "--cell-type" in proc.stdout
    assert proc.stderr == ""
