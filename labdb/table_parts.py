"""Stored tables in parts: a grown file's table is the earlier version's parts plus a new one.

A parsed table (and any row-level frame kept in the blob store) is stored either as one zstd
Parquet blob or, for the next version of a growing file (docs/live.md), as a **manifest**: a
small canonical JSON blob naming Parquet *parts* (each content-addressed in the blob store
like any blob) and the row slice of each that belongs to the table::

    {"format": "labdb.table-parts/1", "rows": 7911, "columns": [...],
     "parts": [{"sha256": "...", "start": 0, "stop": 6120}, {"sha256": "...", ...}]}

The table is the concatenation of those slices, in order. A version whose table continues the
earlier version's first ``n`` rows keeps the earlier parts up to row ``n`` (the last one cut
by its ``stop``, never rewritten) and stores only the rows after ``n`` as a new part, so the
bytes written per version are proportional to the new rows. To keep the parts few (a file
followed for three days has hundreds of versions), the new part is merged with the parts
before it while the one before holds no more rows than it (a binary counter: about log2 of the
versions parts, each row rewritten about log2 times in all).

The manifest's sha256 is the table's identity (``ParsedTable.sha256``, provenance): two
versions' tables never share it, and equal manifests mean equal tables. Readers go through
:func:`read_table` (the whole table, or some columns), which reads either form.

**Parts kept in memory** (:func:`keep_parts_in_memory`, a job process that serves several jobs
turns it on: ``labdb.services.execution``). The next version's job reads the parts the
previous version's job wrote or read: the earlier parsed table, the earlier result's tables
and series. A process that keeps them (as the Arrow tables a read of their blobs gives: the
Arrow schema the Parquet file stores, checked against its footer) reads them from memory
instead of decoding Parquet again, least recently used first out beyond a byte budget. The
blobs are immutable and content-addressed, so a part's sha256 names the same rows forever;
a part is re-hashed (``verify=True``) the first time the process reads it, and not when it
comes from memory: damage to a blob after that is found by ``verify_storage`` and by every
other process's reads, and cannot change what this one computes.
"""

from __future__ import annotations

import json
import tempfile
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from labdb.storage import (
    BlobCorrupt,
    blob_exists,
    blob_file,
    open_blob,
    read_blob,
    read_blob_head,
    store_chunks,
    store_file,
)

MANIFEST_FORMAT = "labdb.table-parts/1"
_MAGIC = b'{"columns"'  # canonical JSON sorts the keys: a manifest always starts so


@dataclass(frozen=True)
class Part:
    """Rows ``start:stop`` of the Parquet blob ``sha256``."""

    sha256: str
    start: int
    stop: int

    @property
    def rows(self) -> int:
        return self.stop - self.start


def _manifest_bytes(rows: int, columns: list[str], parts: list[Part]) -> bytes:
    doc = {
        "columns": columns,
        "format": MANIFEST_FORMAT,
        "parts": [{"sha256": p.sha256, "start": p.start, "stop": p.stop} for p in parts],
        "rows": rows,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def is_manifest(sha256: str) -> bool:
    """Whether blob ``sha256`` is a parts manifest (else a Parquet table)."""
    return read_blob_head(sha256, len(_MAGIC)) == _MAGIC


def table_parts(sha256: str) -> list[Part]:
    """The parts of the stored table ``sha256``: itself, whole, when it is one Parquet blob.
    A manifest is verified (re-hashed) before it is trusted."""
    if not is_manifest(sha256):
        with blob_file(sha256) as fh:
            rows = pq.ParquetFile(fh).metadata.num_rows
        return [Part(sha256, 0, rows)]
    try:
        doc = json.loads(read_blob(sha256))
        if doc.get("format") != MANIFEST_FORMAT:
            raise ValueError(doc.get("format"))
        return [Part(str(p["sha256"]), int(p["start"]), int(p["stop"])) for p in doc["parts"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise BlobCorrupt(sha256, f"not a readable table manifest ({exc})") from None


def referenced_blobs(sha256: str) -> list[str]:
    """The blobs the stored table ``sha256`` is made of (its parts), without itself."""
    if not is_manifest(sha256):
        return []
    return [p.sha256 for p in table_parts(sha256)]


@contextmanager
def _opened(sha256: str, verify: bool) -> Iterator[BinaryIO]:
    if verify:
        with closing(open_blob(sha256)) as fh:
            yield fh
    else:
        with blob_file(sha256) as fh:
            yield fh


def read_table(
    sha256: str,
    columns: list[str] | None = None,
    *,
    verify: bool = False,
    filters: list[tuple[str, str, Any]] | None = None,
) -> pd.DataFrame:
    """The stored table ``sha256`` (one Parquet blob or a manifest of parts), all columns or
    ``columns``; the same frame either way. ``verify``: re-hash every blob read first
    (:class:`BlobCorrupt` when one is damaged), as jobs and exports do; pages read without
    (``verify_storage`` checks the store). ``filters``: only the rows matching these pyarrow
    filters (e.g. ``[("cycle", "in", [1, 2])]``)."""
    if not is_manifest(sha256):
        with _opened(sha256, verify) as fh:
            return pd.read_parquet(fh, columns=columns, filters=filters)
    if filters is None:
        return read_arrow(sha256, columns, verify=verify).to_pandas()
    names = {n for n, _, _ in filters}
    wanted = None if columns is None else [*columns, *(n for n in names if n not in columns)]
    table = read_arrow(sha256, wanted, verify=verify).filter(pq.filters_to_expression(filters))
    return table.select(columns).to_pandas() if columns is not None else table.to_pandas()


def read_arrow(sha256: str, columns: list[str] | None = None, *, verify: bool = False) -> pa.Table:
    """The stored table ``sha256`` as an Arrow table (see :func:`read_table`)."""
    pieces = []
    for part in table_parts(sha256):
        table = _part_table(part.sha256, columns, verify)
        pieces.append(table.slice(part.start, part.rows))
    if len(pieces) == 1:
        return pieces[0]
    return pa.concat_tables(pieces, promote_options="permissive")


def _store_parquet(frame: pd.DataFrame) -> str:
    """Store ``frame`` as one zstd Parquet blob: the bytes of ``frame.to_parquet(...,
    index=False)``. Where this process keeps parts, their conversion and writer call are
    repeated here for a frame that allows it (no ``attrs``, text column names; the same bytes:
    ``tests/labdb/jobs/test_child_reuse.py`` compares the tables stored both ways), to keep
    the Arrow table in memory as a read of the blob would give it."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "table.parquet"
        if not _kept_budget or frame.attrs or not all(isinstance(c, str) for c in frame.columns):
            frame.to_parquet(out, compression="zstd", index=False)
            return store_file(out, max_bytes=1 << 62).sha256
        # a copy of the rows: Arrow takes numeric columns without copying, and a column of a
        # slice (a version's new rows, ``frame.iloc[start:]``) is a view of the whole table's
        # block, which the kept part would then hold in memory, uncounted: one table per
        # version (at 6,400 cycles ~50 MB each, which made the serving child outgrow its keep
        # limit every second or third job)
        table = pa.Table.from_pandas(frame.copy(deep=True), preserve_index=False)
        pq.write_table(table, out, compression="zstd")
        sha256 = store_file(out, max_bytes=1 << 62).sha256
        stored = pq.read_schema(out)  # the footer: the Arrow schema a read restores
        same = table.schema.equals(stored, check_metadata=True)
        with suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):  # else read when needed
            _remember(sha256, table if same else table.cast(stored))
        return sha256


def _kept_parts(base: str, same_rows: int) -> list[Part]:
    """``base``'s parts up to row ``same_rows`` (the last one cut by its ``stop``)."""
    kept: list[Part] = []
    rows = 0
    for part in table_parts(base):
        if rows >= same_rows:
            break
        take = min(part.rows, same_rows - rows)
        kept.append(Part(part.sha256, part.start, part.start + take))
        rows += take
    return kept


#: parts kept in memory: sha256 -> the Arrow table a read of the blob gives (module docstring)
_kept: OrderedDict[str, pa.Table] = OrderedDict()
_kept_budget = 0


def keep_parts_in_memory(budget_bytes: int) -> None:
    """Keep up to ``budget_bytes`` of parts read or written in this process for the next
    reads (0: none, the default)."""
    global _kept_budget
    _kept_budget = max(0, int(budget_bytes))
    _trim()


def parts_kept() -> bool:
    """Whether this process keeps what it reads and writes for its next jobs (a worker's
    serving child: :func:`keep_parts_in_memory`)."""
    return _kept_budget > 0


#: the size of each kept part (``pa.Table.nbytes`` walks every buffer: taken once)
_kept_bytes: dict[str, int] = {}


def _trim() -> None:
    total = sum(_kept_bytes.values())
    while _kept and total > _kept_budget:
        total -= _kept_bytes.pop(_kept.popitem(last=False)[0])


def _remember(sha256: str, table: pa.Table) -> None:
    size = table.nbytes if _kept_budget else 0
    if _kept_budget and size <= _kept_budget:
        _kept[sha256] = table
        _kept_bytes[sha256] = size
        _kept.move_to_end(sha256)
        _trim()


def _part_table(sha256: str, columns: list[str] | None, verify: bool) -> pa.Table:
    """The Parquet blob ``sha256`` as Arrow (all columns, or ``columns``), from memory when
    this process keeps it."""
    table = _kept.get(sha256)
    if table is not None:
        _kept.move_to_end(sha256)
        return table if columns is None else table.select(columns)
    with _opened(sha256, verify) as fh:
        table = pq.read_table(fh, columns=columns)  # only the columns asked for
    if columns is None:
        _remember(sha256, table)
    return table


def store_grown(base: str, same_rows: int, tail: pd.DataFrame) -> str | None:
    """Store the table made of the first ``same_rows`` rows of the stored table ``base`` and
    then ``tail``'s rows, without reading ``base``'s rows: its parts up to ``same_rows`` are
    kept as they are and ``tail`` is the new part (merged as :func:`store_table` merges; the
    parts a merge absorbs are read, re-hashed, and written again with ``tail``). The caller
    vouches that ``tail`` has ``base``'s columns and dtypes. ``base``'s manifest is re-hashed
    before it is trusted; the parts kept are not re-read (they were hashed when written and
    are immutable: ``verify_storage`` re-hashes them, naming every table each belongs to), only
    checked to be in the store. None when a kept part is missing or ``base`` is shorter than
    ``same_rows``: the caller then stores the table whole."""
    kept = _kept_parts(base, same_rows)
    start = sum(p.rows for p in kept)
    if start < same_rows or not all(blob_exists(p.sha256) for p in kept):
        return None
    rows = start + len(tail)
    absorbed: list[Part] = []
    while kept and kept[-1].rows <= rows - start:
        absorbed.insert(0, kept.pop())
        start -= absorbed[0].rows
    if absorbed:
        pieces = []
        for part in absorbed:
            table = _part_table(part.sha256, None, True)
            pieces.append(table.slice(part.start, part.rows).to_pandas())
        tail = (
            pd.concat([*pieces, tail], ignore_index=True)
            if len(tail)
            else (pd.concat(pieces, ignore_index=True))
        )
    if not kept:  # all merged: the table is one Parquet blob again
        return _store_parquet(tail)
    parts = kept
    if len(tail):
        parts = [*kept, Part(_store_parquet(tail), 0, len(tail))]
    columns = [str(c) for c in tail.columns]
    return store_chunks([_manifest_bytes(rows, columns, parts)], max_bytes=1 << 62).sha256


def store_table(frame: pd.DataFrame, *, base: str | None = None, same_rows: int = 0) -> str:
    """Store ``frame``; returns the sha256 that names it. With ``base`` (a stored table) and
    ``same_rows`` > 0 (the caller has shown ``frame``'s first ``same_rows`` rows equal to the
    first ``same_rows`` rows of ``base``: same columns, dtypes and values), only the rows after
    them are written, as a new part next to ``base``'s (module docstring); otherwise the frame
    is one Parquet blob."""
    if base is None or same_rows <= 0:
        return _store_parquet(frame)
    kept = _kept_parts(base, same_rows)
    start = sum(p.rows for p in kept)
    if start < same_rows:  # the base is shorter than the caller said: store it whole
        return _store_parquet(frame)
    # binary-counter merging: the new rows absorb the parts before them that are not larger
    while kept and kept[-1].rows <= len(frame) - start:
        start -= kept.pop().rows
    if start == 0:  # all merged: the table is one Parquet blob again
        return _store_parquet(frame)
    parts = kept
    if start < len(frame):
        parts = [*kept, Part(_store_parquet(frame.iloc[start:]), 0, len(frame) - start)]
    data = _manifest_bytes(len(frame), [str(c) for c in frame.columns], parts)
    return store_chunks([data], max_bytes=1 << 62).sha256
