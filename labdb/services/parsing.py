"""Reading stored raw files into canonical tables, and keeping those tables.

A parsed table is stored once per (file, parser, parser version, kind) as zstd Parquet in the
blob store; a job that finds it already there reuses the record.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.readers import ReadResult, read
from analysis.readers.growing import count_newlines, read_grown
from labdb import models as m
from labdb.storage import (
    BlobCorrupt,
    blob_verify,
    blocks_verify,
    local_blob_copy,
    local_blob_path,
    safe_name,
)
from labdb.table_parts import parts_kept, read_table, store_table

#: how the readers word the warning about a file that ends in the middle of a row
TRUNCATED_LAST_ROW = "the last row is truncated"


@dataclass(frozen=True)
class PreviousTable:
    """The parsed table of the file a grown file extends (``DataFile.extends``), looked up
    by the worker before the job's child process starts (the child has no database)."""

    sha256: str
    parser: str
    parser_version: str
    format: str
    size_bytes: int
    warnings: tuple[str, ...]
    #: the newlines in the earlier file, as its read counted them (its metadata's
    #: ``source_newlines``: a grown read, or a whole read of a version); None when not
    #: recorded for that size: counted again
    newlines: int | None = None


#: earlier versions looked at for a parsed table to grow from (else the whole file is read)
MAX_VERSIONS_BACK = 50


def previous_table(
    data_file: m.DataFile, kinds: frozenset[str] | set[str] | tuple[str, ...] | None = None
) -> PreviousTable | None:
    """The newest parsed table (of one of ``kinds``, when given) of the nearest earlier
    version of ``data_file`` that has one (``extends`` back; an earlier version whose job was
    superseded was never parsed), if there is one: every earlier version's bytes are a prefix
    of this file's."""
    table, file_id = None, data_file.extends_id
    for _ in range(MAX_VERSIONS_BACK):
        if file_id is None:
            return None
        tables = m.ParsedTable.objects.filter(data_file_id=file_id)
        if kinds is not None:
            tables = tables.filter(kind__in=list(kinds))
        table = tables.select_related("data_file").order_by("-created_at").first()
        if table is not None:
            break
        file_id = m.DataFile.objects.filter(pk=file_id).values_list("extends_id", flat=True)[0]
    if table is None:
        return None
    counted = (table.metadata or {}).get("source_newlines") or {}
    size = table.data_file.size_bytes
    return PreviousTable(
        table.sha256,
        table.parser,
        table.parser_version,
        table.format,
        size,
        tuple(table.warnings),
        int(counted["count"]) if counted.get("bytes") == size and "count" in counted else None,
    )


def read_data_file(
    data_file: m.DataFile, previous: PreviousTable | None = None, *, reader: str | None = None
) -> ReadResult:
    """Parse a stored file. The reader sees the file under its original name (a link into a
    temporary folder) so that messages name it and the extension can break detection ties.
    The stored bytes are re-hashed first: ``BlobCorrupt`` when they no longer match (a damaged
    file is never analysed); of a grown file read from the earlier version's table, the
    blocks it takes values from (:func:`_tail_verified`), the rest only when it is read whole
    after all. The reader is :func:`chosen_format`, else detected. Raises
    ``ParseError`` naming the file, row and column. ``reader``: the reader an analysis job was
    asked for with (its ``reader``; "" = detect), instead of the file's current choice.

    ``previous``: the table of the file this one extends; the new lines are parsed and put
    after its rows when that is shown equal to a whole parse
    (:func:`analysis.readers.growing.read_grown`), else the whole file is read."""
    checked = previous is not None and _tail_verified(data_file, previous)
    copy = _stored_file(data_file.sha256) if checked else local_blob_copy(data_file.sha256)
    with copy as source, tempfile.TemporaryDirectory() as tmp:
        link = Path(tmp) / safe_name(data_file.original_name)
        link.symlink_to(source)
        # a reader chosen other than the earlier table's means a whole new read
        same_reader = not reader or previous is None or reader == previous.format
        why = ""
        if previous is not None:
            grown, why = (
                _read_grown(link, previous)
                if same_reader
                else (None, f"read as {reader}, the earlier version as {previous.format}")
            )
            if grown is not None:
                return grown
        if checked:  # read whole: every byte is read, so every byte is verified first
            blob_verify(data_file.sha256)
        format = chosen_format(data_file) if reader is None else reader
        whole = read(link, format=format or None)
        if previous is None:
            return whole
        # stated in the parsed table's metadata (the job's audit entry and the worker's log
        # repeat it: labdb.services.jobs); with the file's newlines for the next version's
        # grown read (a pass over bytes just read, verified)
        counted = {"bytes": data_file.size_bytes, "count": count_newlines(link)}
        return dataclasses.replace(
            whole, metadata={**whole.metadata, "read_whole": why, "source_newlines": counted}
        )


def _tail_verified(data_file: m.DataFile, previous: PreviousTable) -> bool:
    """Verify the blocks of a grown file that its grown read takes values from (its first
    block, which holds the header, and every block from the one where the earlier version
    ended) against its block digests (``DataFile.block_sha256``); True when done, False when
    it cannot be (no digests, an object store: then the whole file is verified as any file).
    The blocks between are the earlier version's bytes, whose values come from its parsed
    table (verified when read) and whose newlines the earlier version's read counted (where
    it did not, the grown read counts them, and a miscount shifts the rows it parses twice,
    which then differ from that table: the file is read whole, verified whole first);
    docs/live.md. ``BlobCorrupt`` when a block checked differs."""
    blocks = data_file.block_sha256 or {}
    block_bytes = int(blocks.get("block_bytes") or 0)
    if block_bytes <= 0 or previous.size_bytes >= data_file.size_bytes:
        return False
    first = previous.size_bytes // block_bytes
    wanted = [0, *range(first, -(-data_file.size_bytes // block_bytes))]
    return blocks_verify(data_file.sha256, data_file.size_bytes, blocks, wanted)


@contextmanager
def _stored_file(sha256: str) -> Iterator[Path]:
    """The local stored file of blob ``sha256``, its blocks verified by the caller."""
    path = local_blob_path(sha256)
    if path is None:  # pragma: no cover - blocks_verify checked it is local
        raise BlobCorrupt(sha256, "not on a local disk")
    yield path


def chosen_format(data_file: m.DataFile) -> str:
    """The reader to use: a person's latest choice (FormatChoice), else the one named at
    upload, else "" (detected from the content)."""
    choice = data_file.format_choices.first()
    return choice.format if choice is not None else data_file.format


def _read_grown(link: Path, previous: PreviousTable) -> tuple[ReadResult | None, str]:
    """The grown table, or None and why not: then the whole file is read (always correct,
    only slower), also when the earlier table's stored copy is damaged or unreadable."""
    try:
        earlier = _earlier_table(previous.sha256)
        grown = read_grown(
            link,
            format=previous.format,
            previous=earlier,
            previous_bytes=previous.size_bytes,
            previous_newlines=previous.newlines,
        )
    except (BlobCorrupt, OSError, ValueError) as exc:
        return None, f"the earlier version's table could not be read ({exc})"
    if grown is None:
        return None, (
            f"the {previous.format} reader's rows of the new lines could not be shown equal to "
            "a whole parse (a binary format, or rows that depend on what came before)"
        )
    if (grown.parser, grown.parser_version) != (previous.parser, previous.parser_version):
        return None, (
            f"the earlier table was read by {previous.parser} {previous.parser_version}, "
            f"this is {grown.parser} {grown.parser_version}"
        )
    if grown.warnings:
        # they would name rows of the cut file: the whole read names the right ones
        return None, "the new lines gave reader warnings"
    # the earlier version's warnings hold for its rows, except that its last row was cut short
    kept = tuple(w for w in previous.warnings if TRUNCATED_LAST_ROW not in w)
    return dataclasses.replace(grown, warnings=kept), ""


#: the parsed tables this process read or stored last, each as the frame a read of it gives
#: (sha256 -> frame): kept where table parts are kept (a worker's serving child), whose next
#: job is usually the next version's, which grows its table from this one (:func:`_read_grown`)
#: instead of reading it back (Arrow to pandas: ~20 ms at 500,000 rows). At most
#: :data:`KEPT_TABLES`, least recently kept out first: the one the next version grows from
#: and, while a grown table is stored, the earlier one (dropped once the grown one is kept).
_kept_tables: OrderedDict[str, pd.DataFrame] = OrderedDict()
KEPT_TABLES = 2


def _earlier_table(sha256: str) -> pd.DataFrame:
    """The stored parsed table ``sha256``, verified; from memory when this process keeps it."""
    kept = _kept_tables.get(sha256) if parts_kept() else None
    if kept is not None:
        return kept
    table = read_table(sha256, verify=True)
    _keep_table(sha256, table)
    return table


def _keep_table(sha256: str, frame: pd.DataFrame) -> None:
    if not parts_kept():
        return
    _kept_tables[sha256] = frame
    _kept_tables.move_to_end(sha256)
    while len(_kept_tables) > KEPT_TABLES:
        _kept_tables.popitem(last=False)


def _keep_grown(sha256: str, table: pd.DataFrame, previous: PreviousTable) -> None:
    """Keep the grown table stored under ``sha256`` when it is the frame a read of it gives:
    its first rows are the kept earlier table's (the grown read put them there) and its
    columns and dtypes are that table's, so its other rows read back as they are (a stored
    part is those rows as Parquet: values bit for bit, the dtype's Arrow type and back). A
    dtype the new rows changed (text that became ``object``, categories of their own) keeps
    nothing: the next version reads the table from the store."""
    earlier = _kept_tables.get(previous.sha256)
    if earlier is None or list(earlier.columns) != list(table.columns):
        return
    if not earlier.dtypes.equals(table.dtypes):
        return
    _keep_table(sha256, table)
    _kept_tables.pop(previous.sha256, None)


def store_frame(frame: pd.DataFrame) -> str:
    """Store ``frame`` as zstd Parquet in the blob store; returns its sha256."""
    return store_table(frame)


def store_parsed(
    table: pd.DataFrame, metadata: dict[str, Any], previous: PreviousTable | None
) -> str:
    """Store a parsed table; returns the sha256 that names it. A table grown from the earlier
    version's (``metadata["grown_from_rows"]``: its first rows are that table's, unchanged) is
    stored as the earlier table's parts plus a part with the rows after them
    (:mod:`labdb.table_parts`), so what is written is proportional to the new rows."""
    same = int(metadata.get("grown_from_rows") or 0)
    if previous is None or same <= 0:
        return store_table(table)
    sha256 = store_table(table, base=previous.sha256, same_rows=same)
    _keep_grown(sha256, table, previous)
    return sha256


def parsed_table_record(data_file: m.DataFile, parsed: dict[str, Any]) -> m.ParsedTable:
    """The record of a parsed table already stored as a blob (``parsed`` holds its sha256,
    parser, parser_version, kind, format, rows, columns, warnings and metadata), created on
    first use: one per (file, parser, version, kind), so a mixed file keeps its cycling table
    and its spectra as two records."""
    fields = dict(parsed)
    record, _ = m.ParsedTable.objects.get_or_create(
        data_file=data_file,
        parser=fields.pop("parser"),
        parser_version=fields.pop("parser_version"),
        kind=fields.pop("kind"),
        defaults=fields,
    )
    return record


def load_parsed_table(parsed: m.ParsedTable, columns: list[str] | None = None) -> pd.DataFrame:
    """The stored table of ``parsed`` (one Parquet blob or parts: :mod:`labdb.table_parts`)."""
    return read_table(parsed.sha256, columns)
