"""A grown file read from its earlier version's table plus its new lines
(:func:`analysis.readers.growing.read_grown`) is exactly the table of a whole parse, in every
vendor layout the simulator writes, whatever byte the earlier version ended at; where that
cannot be shown it says so (None) and the caller parses the whole file."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.readers import read
from analysis.readers.growing import read_grown
from analysis.simulate.study import _gcpl_settings
from analysis.simulate.writers.eclab import InstrumentInfo
from analysis.simulate.writers.gcpl import write_gcpl_mpt
from analysis.simulate.writers.rows import cycler_rows
from tests.analysis.readers.cycler_files import STARTED, VARIANTS, small_trace

#: layouts in which a grown file is not read from its new lines (binary; few cut points)
WHOLE = {"bdf-parquet", "battery-archive"}


def write_gcpl(path: Path, rows: object) -> Path:
    """The BioLogic EC-Lab GCPL text export (the lab's own cycler), same trace."""
    info = InstrumentInfo("BCS-805", "0001", 3, STARTED, path.stem)
    return write_gcpl_mpt(path, small_trace(cycles=6), info, settings=_gcpl_settings(6))


VARIANTS = {**VARIANTS, "biologic-gcpl-mpt": ("g.mpt", write_gcpl, "biologic-mpt")}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_grown_table_is_the_whole_parse_or_nothing(variant: str, tmp_path: Path) -> None:
    name, writer, fmt = VARIANTS[variant]
    path = writer(tmp_path / name, cycler_rows(small_trace(cycles=6), STARTED))
    data = path.read_bytes()
    whole = read(path, format=fmt).table
    used = 0
    for fraction in (0.35, 0.6, 0.85):
        cut = int(len(data) * fraction) + 3  # anywhere, mid-line included
        earlier = tmp_path / "earlier" / name
        earlier.parent.mkdir(exist_ok=True)
        earlier.write_bytes(data[:cut])
        try:
            previous = read(earlier, format=fmt).table
        except Exception:  # a binary file cut short does not parse: nothing to grow from
            continue
        grown = read_grown(path, format=fmt, previous=previous, previous_bytes=cut)
        if grown is None:
            continue
        used += 1
        assert grown.table.equals(whole), f"{variant} cut at {cut}"
        assert list(grown.table.dtypes) == list(whole.dtypes)
        assert grown.metadata["rows_parsed"] < len(whole) - grown.metadata["grown_from_rows"] + 40
        # the count of newlines the next version starts from is the file's
        assert grown.metadata["source_newlines"] == {"bytes": len(data), "count": data.count(b"\n")}
        given = read_grown(
            path,
            format=fmt,
            previous=previous,
            previous_bytes=cut,
            previous_newlines=data[:cut].count(b"\n"),
        )
        assert given is not None and given.table.equals(whole)
    if variant not in WHOLE:
        assert used >= 2, f"{variant}: the new lines were never read on their own"
