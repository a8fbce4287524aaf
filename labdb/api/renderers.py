"""CSV and Parquet for the row tables (cycles, metrics, results): ``?format=csv`` or
``Accept: text/csv``; ``?format=parquet`` or ``Accept: application/vnd.apache.parquet``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer

from labdb.exports.spreadsheet import neutralise, safe_row


def rows_of(data: Any) -> list[dict[str, Any]]:
    """The rows of a response: a list, a page's ``results``, or one record; an error's detail
    becomes one row so that a client asking for CSV still reads the message."""
    if isinstance(data, Mapping) and isinstance(data.get("results"), list):
        data = data["results"]
    if isinstance(data, Mapping):
        data = [dict(data)]
    return [dict(r) if isinstance(r, Mapping) else {"value": r} for r in (data or [])]


def columns_of(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for r in rows:
        for k in r:
            seen.setdefault(k, None)
    return list(seen)


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return neutralise(json.dumps(value, separators=(",", ":")))
    return "" if value is None else neutralise(value)


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        rows = rows_of(data)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        cols = columns_of(rows)
        writer.writerow(safe_row(cols))
        for r in rows:
            writer.writerow([_cell(r.get(c)) for c in cols])
        return out.getvalue().encode()


class ParquetRenderer(BaseRenderer):
    media_type = "application/vnd.apache.parquet"
    format = "parquet"
    charset = None
    render_style = "binary"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = rows_of(data)
        cols = columns_of(rows)
        columns = {}
        for c in cols:
            values = [r.get(c) for r in rows]
            if any(isinstance(v, dict | list) for v in values):
                values = [None if v is None else json.dumps(v) for v in values]
            elif any(isinstance(v, str) for v in values) and not all(
                v is None or isinstance(v, str) for v in values
            ):
                values = [None if v is None else str(v) for v in values]
            columns[c] = values
        try:
            table = pa.table(columns)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            table = pa.table(
                {c: [None if v is None else str(v) for v in vs] for c, vs in columns.items()}
            )
        buf = io.BytesIO()
        pq.write_table(table, buf, compression="zstd")
        return buf.getvalue()


#: what a table endpoint answers: JSON, CSV (``?format=csv``), Parquet, the browsable page
TABLE_RENDERERS = (JSONRenderer, CSVRenderer, ParquetRenderer, BrowsableAPIRenderer)
