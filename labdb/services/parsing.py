"""Reading stored raw files into canonical tables, and keeping those tables.

A parsed table is stored once per (file, parser, parser version) as zstd Parquet in the blob
store; a job that finds it already there reuses the record.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from analysis.readers import ReadResult, read
from labdb import models as m
from labdb.storage import blob_path, safe_name, store_file


def read_data_file(data_file: m.DataFile) -> ReadResult:
    """Parse a stored file. The reader sees the file under its original name (a link into a
    temporary folder) so that messages name it and the extension can break detection ties.
    Raises ``ParseError`` naming the file, row and column."""
    with tempfile.TemporaryDirectory() as tmp:
        link = Path(tmp) / safe_name(data_file.original_name)
        link.symlink_to(blob_path(data_file.sha256))
        return read(link, format=data_file.format or None)


def store_frame(frame: pd.DataFrame) -> str:
    """Store ``frame`` as zstd Parquet in the blob store; returns its sha256."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "table.parquet"
        frame.to_parquet(out, compression="zstd", index=False)
        return store_file(out, max_bytes=1 << 62).sha256


def parsed_table_store(data_file: m.DataFile, result: ReadResult) -> m.ParsedTable:
    """The record of ``result`` (the parsed ``data_file``), created on first use."""
    existing = m.ParsedTable.objects.filter(
        data_file=data_file, parser=result.parser, parser_version=result.parser_version
    ).first()
    if existing is not None:
        return existing
    sha256 = store_frame(result.table)
    parsed, _ = m.ParsedTable.objects.get_or_create(
        data_file=data_file,
        parser=result.parser,
        parser_version=result.parser_version,
        defaults={
            "sha256": sha256,
            "kind": result.kind,
            "format": result.format,
            "rows": len(result.table),
            "columns": [str(c) for c in result.table.columns],
            "warnings": list(result.warnings),
            "metadata": result.summary()["metadata"],
        },
    )
    return parsed


def load_parsed_table(parsed: m.ParsedTable, columns: list[str] | None = None) -> pd.DataFrame:
    return pd.read_parquet(blob_path(parsed.sha256), columns=columns)
