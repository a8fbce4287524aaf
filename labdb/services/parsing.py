"""Reading stored raw files into canonical tables, and keeping those tables.

A parsed table is stored once per (file, parser, parser version) as zstd Parquet in the blob
store; a job that finds it already there reuses the record.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.readers import ReadResult, read
from labdb import models as m
from labdb.storage import blob_path, safe_name, store_file, verified_blob_path


def read_data_file(data_file: m.DataFile) -> ReadResult:
    """Parse a stored file. The reader sees the file under its original name (a link into a
    temporary folder) so that messages name it and the extension can break detection ties.
    The stored bytes are re-hashed first: ``BlobCorrupt`` when they no longer match (a damaged
    file is never analysed). The reader is :func:`chosen_format`, else detected. Raises ``ParseError`` naming the file, row and column."""
    source = verified_blob_path(data_file.sha256)
    with tempfile.TemporaryDirectory() as tmp:
        link = Path(tmp) / safe_name(data_file.original_name)
        link.symlink_to(source)
        return read(link, format=chosen_format(data_file) or None)


def chosen_format(data_file: m.DataFile) -> str:
    """The reader to use: a person's latest choice (FormatChoice), else the one named at
    upload, else "" (detected from the content)."""
    choice = data_file.format_choices.first()
    return choice.format if choice is not None else data_file.format


def store_frame(frame: pd.DataFrame) -> str:
    """Store ``frame`` as zstd Parquet in the blob store; returns its sha256."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "table.parquet"
        frame.to_parquet(out, compression="zstd", index=False)
        return store_file(out, max_bytes=1 << 62).sha256


def parsed_table_record(data_file: m.DataFile, parsed: dict[str, Any]) -> m.ParsedTable:
    """The record of a parsed table already stored as a blob (``parsed`` holds its sha256,
    parser, parser_version, kind, format, rows, columns, warnings and metadata), created on
    first use."""
    fields = dict(parsed)
    record, _ = m.ParsedTable.objects.get_or_create(
        data_file=data_file,
        parser=fields.pop("parser"),
        parser_version=fields.pop("parser_version"),
        defaults=fields,
    )
    return record


def load_parsed_table(parsed: m.ParsedTable, columns: list[str] | None = None) -> pd.DataFrame:
    return pd.read_parquet(blob_path(parsed.sha256), columns=columns)
