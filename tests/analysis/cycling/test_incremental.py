"""Incremental analysis of a growing file (analysis.cycling.reuse): analysing a version with
the memo of an earlier version's analysis gives the full analysis's JSON exactly (every
cycle, metric, short-circuit event, warning, and the digests of the profile and memo series),
at many split points of generated cells (healthy, soft and hard shorts, half and full cells)
and of the shared peer files; and the memo is really used (the reuse counts are asserted, so
a memo that never matched would fail here)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import pipelines
from analysis.readers import ParseError, read
from analysis.serial import differences
from analysis.simulate.cells import generate_cell
from analysis.simulate.cells.spec import CellSpec, Realism

PIPELINE = pipelines.get("cycling")
MAX_PEER_BYTES = 5_000_000  # bounded: the walk over the shared files stays short


def _splits(table: pd.DataFrame, n: int, seed: int) -> list[int]:
    """``n`` split points: random rows (mid-half-cycle most of the time), plus the first row
    of a late half-cycle and the row before it (boundaries are where a cut row matters)."""
    rng = np.random.default_rng(seed)
    rows = len(table)
    points = set(rng.integers(rows // 10, rows - 2, size=n).tolist())
    current = table["current_ampere"].to_numpy()
    signs = np.sign(np.where(np.abs(current) > 1e-9, current, 0.0))
    changes = np.flatnonzero(np.diff(signs) != 0) + 1
    if changes.size > 4:
        edge = int(changes[-3])
        points |= {edge, edge + 1, edge - 1}
    return sorted(p for p in points if 10 < p < rows)


def _check(table: pd.DataFrame, parameters: dict[str, object], splits: list[int]) -> int:
    """Every split: the earlier part analysed, then the whole with its memo, compared with the
    whole analysed alone. Returns the half-cycle values reused in all."""
    params = PIPELINE.validate(parameters)
    full = PIPELINE.run(table, params)
    expected = full.to_json()
    reused = 0
    for rows in splits:
        earlier = PIPELINE.run(table.iloc[:rows].reset_index(drop=True), params)
        grown = PIPELINE.run(table, params, previous=earlier.series["half_cycle_memo"])
        assert differences(grown.to_json(), expected) == [], f"split at row {rows}"
        pd.testing.assert_frame_equal(grown.series["profiles"], full.series["profiles"])
        reused += grown.reuse["reused"]
        assert grown.reuse["reused"] + grown.reuse["computed"] == full.reuse["computed"]
    return reused


CELLS = [
    ("healthy half cell", CellSpec("half", 24), 11),
    ("half cell, hard short", CellSpec("half", 30, short_kind="hard", short_onset=12), 12),
    ("half cell, soft short", CellSpec("half", 30, short_kind="soft", short_onset=10), 13),
    ("full cell", CellSpec("full", 16), 14),
    (
        "full cell, hard short, noisy",
        CellSpec("full", 20, short_kind="hard", short_onset=9, realism=Realism(noise_V=0.002)),
        15,
    ),
]


@pytest.mark.parametrize(("name", "spec", "seed"), CELLS, ids=[c[0] for c in CELLS])
def test_incremental_equals_full_at_many_split_points(name: str, spec: CellSpec, seed: int) -> None:
    table = generate_cell(spec, seed=seed).table
    splits = _splits(table, 12, seed)
    reused = _check(table, {"cell_type": spec.cell_type, "area_cm2": 1.0}, splits)
    assert reused > 0, name


def test_a_chain_of_versions_each_from_the_one_before() -> None:
    table = generate_cell(CellSpec("half", 40, short_kind="hard", short_onset=25), seed=21).table
    params = PIPELINE.validate({"cell_type": "half"})
    memo = None
    for rows in np.linspace(len(table) // 8, len(table), 9).astype(int).tolist():
        part = table.iloc[:rows].reset_index(drop=True)
        grown = PIPELINE.run(part, params, previous=memo)
        assert differences(grown.to_json(), PIPELINE.run(part, params).to_json()) == [], rows
        if memo is not None:
            # all but the half-cycles at the end of the earlier version come from its memo
            assert grown.reuse["reused"] > 0.5 * grown.reuse["computed"], (rows, grown.reuse)
        if memo is not None:
            # the memo's first rows are the earlier memo's (stored as its parts): all but
            # the earlier version's last half-cycles, the table size on the last row only
            new_memo = grown.series["half_cycle_memo"]
            shared = min(len(memo), len(new_memo))
            a, b = new_memo.iloc[:shared], memo.iloc[:shared]
            first_changed = np.flatnonzero(~((a == b) | (a.isna() & b.isna())).all(axis=1))
            assert first_changed.size and first_changed[0] >= len(memo) - 3, rows
            assert (new_memo["table_rows"].iloc[:-1] == -1).all()
            assert new_memo["table_rows"].iloc[-1] == rows
        memo = grown.series["half_cycle_memo"]


def test_a_memo_written_with_the_size_on_every_row_reads_the_same() -> None:
    """Memos stored before the table size moved to the last row are reused as before."""
    table = generate_cell(CellSpec("half", 12), seed=6).table
    params = PIPELINE.validate({"cell_type": "half"})
    earlier = PIPELINE.run(table.iloc[: len(table) * 2 // 3], params)
    old_form = earlier.series["half_cycle_memo"].copy()
    old_form["table_rows"] = int(old_form["table_rows"].iloc[-1])
    grown = PIPELINE.run(table, params, previous=old_form)
    assert grown.reuse["reused"] > 0
    assert differences(grown.to_json(), PIPELINE.run(table, params).to_json()) == []


def test_other_parameters_reuse_nothing() -> None:
    table = generate_cell(CellSpec("half", 12), seed=5).table
    earlier = PIPELINE.run(table.iloc[: len(table) // 2], {"cell_type": "half"})
    memo = earlier.series["half_cycle_memo"]
    changed = PIPELINE.run(
        table, {"cell_type": "half", "rest_current_threshold_A": 1e-7}, previous=memo
    )
    assert changed.reuse["reused"] == 0 and changed.reuse["computed"] > 0
    same = PIPELINE.run(table, {"cell_type": "half"}, previous=memo)
    assert same.reuse["reused"] > 0


def _peer_cycling_files(root: Path) -> list[Path]:
    with (root / "MANIFEST.tsv").open() as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    paths = [root / r["local_path"] for r in rows if r["kind"] == "cycling"]
    return [p for p in paths if p.is_file() and p.stat().st_size < MAX_PEER_BYTES]


def test_incremental_equals_full_on_the_shared_peer_files(conformance_data: Path) -> None:
    checked = reused = 0
    for path in _peer_cycling_files(conformance_data):
        try:
            source = read(path)
        except ParseError:
            continue
        if source.kind != "cycling" or len(source.table) < 100:
            continue
        try:
            PIPELINE.run(source.table.iloc[:50], {"cell_type": "full"})
            PIPELINE.run(source.table, {"cell_type": "full"})
        except ValueError:
            continue  # tables the analysis refuses with a message (tested elsewhere)
        try:
            reused += _check(source.table, {"cell_type": "full"}, _splits(source.table, 3, 1))
        except ValueError:
            continue  # an early part too short to analyse
        checked += 1
    assert checked >= 10
    assert reused > 0


def test_plateaus_of_settled_half_cycles_come_from_the_memo() -> None:
    """The plateau values of the leading unchanged half-cycles are taken from the memo, not
    recomputed (a memo value changed on purpose shows up in the result); the half-cycles
    after them are computed from the running sums continued from the memo (equal to the full
    analysis: the tests above)."""
    table = generate_cell(CellSpec("half", 12), seed=8).table
    params = PIPELINE.validate({"cell_type": "half"})
    earlier = PIPELINE.run(table.iloc[: 3 * len(table) // 4].reset_index(drop=True), params)
    memo = earlier.series["half_cycle_memo"].copy()
    full = PIPELINE.run(table, params)
    plating = full.tables["cycles"]["plating_overpotential_V"].to_numpy()
    k = int(np.flatnonzero(full.tables["cycles"]["cycle"].to_numpy() == 3)[0])
    assert np.isfinite(plating[k])
    # cycle 3's plating half-cycle: its memo row, by first row
    first_row = int(full.tables["half_cycles"].query("cycle == 3")["first_row"].iloc[0])
    row = memo.index[memo["first_row"] == first_row][0]
    memo.loc[row, "value:plating_overpotential_V"] = 1.2345
    grown = PIPELINE.run(table, params, previous=memo)
    got = grown.tables["cycles"]["plating_overpotential_V"].to_numpy()
    assert got[k] == 1.2345
    np.testing.assert_array_equal(np.delete(got, k), np.delete(plating, k))
