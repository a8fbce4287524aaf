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
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
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
        with _opened(part.sha256, verify) as fh:
            table = pq.read_table(fh, columns=columns)
        pieces.append(table.slice(part.start, part.rows))
    if len(pieces) == 1:
        return pieces[0]
    return pa.concat_tables(pieces, promote_options="permissive")


def _store_parquet(frame: pd.DataFrame) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "table.parquet"
        frame.to_parquet(out, compression="zstd", index=False)
        return store_file(out, max_bytes=1 << 62).sha256


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
            with _opened(part.sha256, True) as fh:
                pieces.append(pq.read_table(fh).slice(part.start, part.rows).to_pandas())
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
