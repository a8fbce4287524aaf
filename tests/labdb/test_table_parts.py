"""A grown file's parsed table is stored as the earlier version's parts plus a part with the new
rows (:mod:`labdb.table_parts`): what is written per version is proportional to the new rows,
and every reader gets the table a whole parse of the final file gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.readers import read
from analysis.readers.growing import read_grown
from analysis.simulate.writers.rows import cycler_rows
from labdb.storage import blob_path
from labdb.table_parts import read_arrow, read_table, store_table, table_parts
from tests.analysis.readers.cycler_files import STARTED, VARIANTS, small_trace
from tests.analysis.readers.test_growing_read import WHOLE, write_gcpl

LAYOUTS = {**VARIANTS, "biologic-gcpl-mpt": ("g.mpt", write_gcpl, "biologic-mpt")}


@pytest.fixture(autouse=True)
def _blobs(settings: Any, tmp_path: Path) -> None:
    settings.BLOB_DIR = tmp_path / "blobs"


def frame(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "test_time_second": np.arange(rows, dtype=np.float64),
            "voltage_volt": rng.normal(3.7, 0.1, rows),
            "step_count": np.repeat(np.arange(rows // 50 + 1), 50)[:rows].astype(np.int64),
            "step_type": np.where(np.arange(rows) % 100 < 50, "CC_Chg", None).astype(object),
        }
    )


def test_a_version_writes_only_its_new_rows_next_to_the_earlier_part() -> None:
    final = frame(10_100)
    base = store_table(final.iloc[:10_000])
    # the last 30 rows of the earlier table were parsed again (its last line may have been cut)
    grown = store_table(final, base=base, same_rows=9_970)
    parts = table_parts(grown)
    assert [(p.sha256, p.start, p.stop) for p in parts[:1]] == [(base, 0, 9_970)]
    assert len(parts) == 2 and (parts[1].start, parts[1].stop) == (0, 130)
    assert read_table(parts[1].sha256).equals(final.iloc[9_970:].reset_index(drop=True))
    assert read_table(grown).equals(final)
    assert read_table(grown, ["voltage_volt"]).equals(final[["voltage_volt"]])
    assert read_arrow(grown, ["step_count"]).num_rows == 10_100
    manifest = json.loads(blob_path(grown).read_bytes())
    assert manifest["rows"] == 10_100 and manifest["columns"] == list(final.columns)


def test_parts_stay_few_over_hundreds_of_versions() -> None:
    final = frame(20_000, seed=1)
    sha, end, written = store_table(final.iloc[:5_000]), 5_000, 5_000
    versions = 1
    while end < len(final):
        new_end = min(len(final), end + 50)
        before = {p.sha256 for p in table_parts(sha)}
        sha = store_table(final.iloc[:new_end], base=sha, same_rows=end - 20)
        written += sum(p.stop - p.start for p in table_parts(sha) if p.sha256 not in before)
        end, versions = new_end, versions + 1
    assert read_table(sha).equals(final)
    # a binary counter of merges: about log2(versions) parts, each row rewritten ~log2 times
    assert len(table_parts(sha)) <= np.log2(versions) + 2, len(table_parts(sha))
    assert written < len(final) * (np.log2(versions) + 2)
    assert written < versions * len(final) / 20  # whole tables per version would be ~this x20


@pytest.mark.parametrize("variant", sorted(set(LAYOUTS) - WHOLE))
def test_a_file_written_in_pieces_is_stored_in_parts_and_read_back_as_the_whole_parse(
    variant: str, tmp_path: Path
) -> None:
    name, writer, fmt = LAYOUTS[variant]
    path = writer(tmp_path / name, cycler_rows(small_trace(cycles=6), STARTED))
    data = path.read_bytes()
    whole = read(path, format=fmt).table
    cuts = [int(len(data) * f) + 3 for f in (0.3, 0.45, 0.6, 0.75, 0.9)] + [len(data)]
    piece = tmp_path / "piece" / name
    piece.parent.mkdir()
    piece.write_bytes(data[: cuts[0]])
    sha, size, grown_versions = store_table(read(piece, format=fmt).table), cuts[0], 0
    for cut in cuts[1:]:
        piece.write_bytes(data[:cut])  # the cycler wrote on
        previous = read_table(sha)
        grown = read_grown(piece, format=fmt, previous=previous, previous_bytes=size)
        if grown is None:  # not shown equal: stored whole, as a whole read gives it
            sha = store_table(read(piece, format=fmt).table)
        else:
            sha = store_table(grown.table, base=sha, same_rows=grown.metadata["grown_from_rows"])
            grown_versions += 1
        size = cut
    assert grown_versions >= 2, f"{variant}: never grown"
    assert len(table_parts(sha)) >= 2
    stored = read_table(sha)
    assert stored.equals(whole), variant
    assert list(stored.dtypes) == list(whole.dtypes)


def test_a_version_with_no_new_rows_names_only_the_rows_it_has() -> None:
    """A table that is the base's first rows (a version whose new bytes completed no row) is a
    manifest of those rows, never the longer base itself."""
    final = frame(3_000, seed=2)
    base = store_table(final)
    shorter = store_table(final.iloc[:2_990], base=base, same_rows=2_990)
    assert shorter != base
    assert read_table(shorter).equals(final.iloc[:2_990])


def test_a_wide_result_table_is_kept_in_parts_and_a_zero_of_another_sign_is_not_the_same() -> None:
    """A result table of fewer than 2,000 rows but many columns (the per-cycle table of a long
    test) is stored as the earlier table's parts plus its new rows, not whole again; a narrow
    one is stored whole. A row whose 0.0 became -0.0 is not an earlier row (Parquet and the
    JSON keep the sign): the stored table is the frame, sign included."""
    from labdb.services.earlier_rows import common_rows
    from labdb.services.results import _store_after

    rng = np.random.default_rng(5)
    wide = pd.DataFrame(rng.normal(size=(600, 37)), columns=[f"c{i}" for i in range(37)])
    grown = pd.concat([wide, wide.iloc[:3] + 1.0], ignore_index=True)
    earlier = store_table(wide)
    sha = _store_after(grown, earlier, known=600)
    assert table_parts(sha)[0].sha256 == earlier
    pd.testing.assert_frame_equal(read_table(sha, verify=True), grown)
    narrow = grown[["c0", "c1"]]
    assert len(table_parts(_store_after(narrow, store_table(wide[["c0", "c1"]]), 600))) == 1
    signed = grown.copy()
    signed.loc[10, "c5"] = 0.0
    zero = store_table(signed)
    signed.loc[10, "c5"] = -0.0
    assert common_rows(signed, read_arrow(zero)) == 10
    stored = read_table(_store_after(signed, zero), verify=True)
    assert np.signbit(stored.loc[10, "c5"])


def test_parts_kept_in_memory_read_as_the_stored_blobs_and_leave_within_the_budget() -> None:
    """A process that keeps parts (a job process serving several jobs) reads them from memory
    exactly as from their blobs: the same Arrow table (types and metadata) and frame, for
    every kind of column a table holds, and writes the same bytes; the oldest leave first
    beyond the budget."""
    import pyarrow.parquet as pq

    from labdb import table_parts as tp

    rows = 3_000
    wide = frame(rows, seed=3).assign(
        when=pd.date_range("2026-01-05", periods=rows, freq="s"),
        kind=pd.Categorical(np.where(np.arange(rows) % 3 == 0, "plating", "stripping")),
        ok=np.arange(rows) % 2 == 0,
        count=pd.array(np.where(np.arange(rows) % 7 == 0, None, np.arange(rows)), dtype="Int64"),
        label=pd.array(np.where(np.arange(rows) % 5 == 0, None, "a"), dtype="str"),
    )
    written_plain = store_table(wide)  # pandas' to_parquet
    tp.keep_parts_in_memory(64 << 20)
    try:
        assert store_table(wide) == written_plain  # the same bytes when the table is kept
        assert written_plain in tp._kept
        base = store_table(wide.iloc[:2_000])
        grown = store_table(wide, base=base, same_rows=1_990)
        for part in table_parts(grown):
            kept = tp._kept[part.sha256]
            stored = pq.read_table(blob_path(part.sha256))
            assert kept.schema.equals(stored.schema, check_metadata=True)
            assert kept.equals(stored)
        from_memory = read_table(grown)
        tp.keep_parts_in_memory(0)  # none kept: read from the blobs
        assert not tp._kept
        from_blobs = read_table(grown, verify=True)
        pd.testing.assert_frame_equal(from_memory, from_blobs, check_exact=True)
        pd.testing.assert_frame_equal(from_blobs, wide, check_exact=True)
        # a budget for one part: the least recently used leaves
        tp.keep_parts_in_memory(10 << 20)
        read_table(grown, ["voltage_volt"])  # some columns: nothing kept
        assert not tp._kept
        read_table(grown)
        first, second = (p.sha256 for p in table_parts(grown))
        assert list(tp._kept) == [first, second]
        tp.keep_parts_in_memory(tp._kept[second].nbytes)
        assert list(tp._kept) == [second]
    finally:
        tp.keep_parts_in_memory(0)


def test_a_kept_part_holds_its_own_rows_not_the_table_it_was_cut_from() -> None:
    """The part of a version's new rows, kept in memory, is a copy of those rows: it does not
    hold the whole table whose slice it was stored from (Arrow takes numeric columns without a
    copy, so it would keep the table's blocks alive, uncounted by the budget)."""
    import gc
    import tracemalloc

    from labdb import table_parts as tp

    rows = 400_000  # 4 float columns: the table is 12.8 MB
    whole = pd.DataFrame(
        {name: np.arange(rows, dtype=np.float64) + i for i, name in enumerate("abcd")}
    )
    base = store_table(whole.iloc[: rows - 500])  # the earlier version, not kept
    tp.keep_parts_in_memory(64 << 20)
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        grown = whole.copy()  # this version's table, allocated while traced
        assert tracemalloc.get_traced_memory()[0] - start > 12 << 20
        sha = store_table(grown, base=base, same_rows=rows - 600)
        part = table_parts(sha)[-1]
        assert (part.start, part.stop) == (0, 600)
        kept = tp._kept[part.sha256]
        assert kept.to_pandas().equals(whole.iloc[-600:].reset_index(drop=True))
        del grown, kept
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - start
        # the 600 rows kept (19 kB) and small objects, not the 12.8 MB the part was cut from
        assert held < 2 << 20, held
    finally:
        tracemalloc.stop()
        tp.keep_parts_in_memory(0)


@pytest.mark.parametrize("variant", sorted(set(LAYOUTS) - WHOLE))
def test_a_serving_process_grows_each_version_from_the_table_it_kept(
    variant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that keeps tables (a worker's serving child) grows a version's table from
    the earlier version's table it stored itself, not read back from the store: each
    version's table is the one a read of what was stored gives (values and dtypes), the last
    is the whole parse, and the store is read for the first version's table only."""
    from labdb import table_parts as tp
    from labdb.services import parsing

    name, writer, fmt = LAYOUTS[variant]
    path = writer(tmp_path / name, cycler_rows(small_trace(cycles=6), STARTED))
    data = path.read_bytes()
    # at line ends, as a harvester sends a file it follows (one cut mid-line: read whole)
    cuts = [data.rfind(b"\n", 0, int(len(data) * f)) + 1 for f in (0.3, 0.45, 0.6, 0.9)]
    cuts = [*cuts[:3], int(len(data) * 0.7) + 3, cuts[3], len(data)]
    piece = tmp_path / "piece" / name
    piece.parent.mkdir()
    piece.write_bytes(data[: cuts[0]])
    first = read(piece, format=fmt)
    sha, size = parsing.store_parsed(first.table, first.metadata, None), cuts[0]
    reads: list[str] = []
    real = parsing.read_table
    monkeypatch.setattr(
        parsing, "read_table", lambda s, *a, **k: (reads.append(s), real(s, *a, **k))[1]
    )
    tp.keep_parts_in_memory(64 << 20)
    grown_versions, expected_reads = 0, 1
    try:
        for cut in cuts[1:]:
            piece.write_bytes(data[:cut])  # the cycler wrote on
            previous = parsing.PreviousTable(sha, first.parser, first.parser_version, fmt, size, ())
            grown, _ = parsing._read_grown(piece, previous)
            if grown is None:  # a cut line gave a warning: read whole, as a job does
                grown, grown_versions = read(piece, format=fmt), grown_versions - 1
                expected_reads += cut != cuts[-1]  # the next version reads it from the store
            sha, size = parsing.store_parsed(grown.table, grown.metadata, previous), cut
            pd.testing.assert_frame_equal(grown.table, read_table(sha), check_exact=True)
            grown_versions += 1
        pd.testing.assert_frame_equal(
            read_table(sha), read(piece, format=fmt).table, check_exact=True
        )
        assert grown_versions >= 3
        assert len(reads) == expected_reads, reads
    finally:
        tp.keep_parts_in_memory(0)
        parsing._kept_tables.clear()


def test_a_grown_table_whose_dtypes_changed_is_not_kept() -> None:
    """New rows that changed a column's dtype (a counter that is ``int64`` in the earlier
    table and has a missing value in the new rows: the concatenation is ``float64``) keep
    nothing: the next version reads the table from the store. The same dtypes: kept, and
    the earlier table leaves."""
    from labdb import table_parts as tp
    from labdb.services import parsing

    earlier = pd.DataFrame({"t": [0.0, 1.0], "n": np.array([1, 2], dtype=np.int64)})
    previous = parsing.PreviousTable("e" * 64, "p", "1", "f", 10, ())
    tp.keep_parts_in_memory(64 << 20)
    try:
        for new, kept in ((np.nan, False), (3, True)):
            parsing._kept_tables.clear()
            parsing._keep_table(previous.sha256, earlier)
            grown = pd.concat([earlier, pd.DataFrame({"t": [2.0], "n": [new]})], ignore_index=True)
            assert (grown["n"].dtype == np.int64) is kept
            parsing._keep_grown("g" * 64, grown, previous)
            assert list(parsing._kept_tables) == (["g" * 64] if kept else ["e" * 64])
    finally:
        tp.keep_parts_in_memory(0)
        parsing._kept_tables.clear()
