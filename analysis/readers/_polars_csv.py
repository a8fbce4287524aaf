"""The typed read of a plain delimited table by polars' CSV parser (see :func:`typed_frame`),
taken by :func:`analysis.readers._text.read_table` before pyarrow's parse where it applies."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from analysis.readers._limits import limits, rows_at_most

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

#: Encodings the fast typed path reads (polars reads UTF-8 only; ASCII is UTF-8).
_UTF8 = frozenset({"utf-8", "utf8", "utf-8-sig", "ascii"})


def typed_frame(
    path: Path,
    *,
    names: list[str],
    header_index: int,
    delimiter: str,
    encoding: str,
    plain: bool,
    column_types: dict[str, Any],
    include_columns: Sequence[str] | None,
) -> pd.DataFrame | None:
    """The typed columns of a plain table parsed by polars' CSV reader, or None to parse with
    pyarrow (:func:`analysis.readers._text.read_table`'s own path) because this one does not
    apply or found anything unusual.

    Why a second parser: on the 1M-row Arbin benchmark file polars' tokeniser takes about half
    the time of pyarrow's (0.11 s against 0.21 s for the same ten float columns, on 2 cores;
    ``bench/readers.py``), and the typed read of a vendor's known columns is every cycling
    upload's first step. It applies only where the two parsers cannot disagree: every column
    read is typed (float64, or an ISO 8601 timestamp, parsed by pyarrow's own cast from the
    text polars cut out), UTF-8 text, ``.`` decimals, no quoted lines, a table within the
    reader limits without streaming, column names unique. The table polars gives is taken only
    when it is complete: any value polars refuses (text in a number column, spaces around a
    number, ``N/A``), any missing value (an empty field, a blank line, a row with fewer
    fields: the file's last column is read too, so a short row shows as a null there), a row
    with more fields, or a timestamp pyarrow cannot cast sends the file to pyarrow's parse,
    whose messages name the row and value and whose warnings (a truncated last row) are the
    ones users see. Numbers are parsed to the nearest double by both parsers (the same bits;
    ``tests/analysis/readers/test_text_fast.py``).

    polars is imported here, on first use, by the process that reads: its thread pool is then
    never inherited through ``fork`` (a Celery prefork parent does not read files).
    """
    if not (plain and include_columns and names and encoding.lower() in _UTF8):
        return None
    wanted = list(include_columns)
    if len(set(names)) != len(names) or not set(wanted) <= set(names):
        return None
    dates: dict[str, Any] = {}
    for name in wanted:
        kind = column_types.get(name)
        if kind is None:
            return None
        if isinstance(kind, pa.TimestampType):
            dates[name] = kind
        elif kind != pa.float64():
            return None
    bounds = limits()
    n_columns = len(wanted)
    if not bounds.allows(rows_at_most(path, len(names), bounds, n_columns), n_columns):
        return None
    import polars as pl

    last = names[-1]
    selected = wanted if last in wanted else [*wanted, last]
    schema = {n: pl.String if n in dates or n not in wanted else pl.Float64 for n in selected}
    try:
        df = pl.read_csv(
            path,
            has_header=True,
            skip_lines=header_index,
            separator=delimiter,
            quote_char='"',
            columns=selected,
            schema_overrides=schema,
            infer_schema=False,
            encoding="utf8",
            raise_if_empty=True,
        )
    except (pl.exceptions.PolarsError, OSError, ValueError):
        return None
    if df.width != len(selected) or any(df.null_count().row(0)):
        return None
    bounds.check_table(path, df.height, n_columns)
    # The columns read are exported to Arrow as polars holds them (in the chunks it parsed,
    # text as string views: no copy); then, in worker threads (pyarrow releases the GIL), each
    # float column is joined into one numpy array and each date column cast to timestamps.
    table = df.select(wanted).to_arrow(compat_level=pl.CompatLevel.newest())
    del df  # the guard column is never copied
    columns: dict[str, Any] = {}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        stamps = {name: _cast_pieces(table.column(name), dates[name], pool) for name in dates}
        floats = {n: pool.submit(_joined, table.column(n)) for n in wanted if n not in dates}
        for name in wanted:
            if name in floats:
                columns[name] = floats[name].result()
                continue
            try:
                columns[name] = pa.chunked_array(
                    [chunk for piece in stamps[name] for chunk in _chunks(piece.result())],
                    type=dates[name],
                ).to_pandas()
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return None
    frame = pd.DataFrame(columns, copy=False)  # filled in the order of ``wanted``
    frame.columns = [str(c).strip().strip('"').strip() for c in frame.columns]
    return frame


#: Fewest rows of text per piece of a date column cast in parallel (:func:`_cast_pieces`): a
#: smaller column is cast in one piece, as starting a thread would cost more than it saves.
DATE_PIECE_ROWS = 1 << 17


def _cast_pieces(views: pa.ChunkedArray, kind: pa.DataType, pool: Executor) -> list[Future[Any]]:
    """Start casting a text column (Arrow ``string_view``) to timestamps ``kind`` in ``pool``:
    in consecutive pieces of at least :data:`DATE_PIECE_ROWS` rows, at most one per CPU. The
    pieces' results, in order, are the column's timestamps; each raises what ``cast`` raises on
    its own text.

    Why: pyarrow's cast of the 1M dates of the Arbin benchmark file takes 0.035-0.055 s on one
    core, the longest step after polars' parse. The text is polars' string views as exported
    (no copy), copied by pyarrow into the ``large_string`` its timestamp cast takes (it has no
    cast from ``string_view``): polars' own ``to_arrow()`` to ``large_string`` took 0.035-0.07 s
    for the same text, this 0.02-0.04 s.
    """
    n = len(views)
    count = max(1, min(os.cpu_count() or 1, n // DATE_PIECE_ROWS))
    bounds = [n * k // count for k in range(count + 1)]
    return [
        pool.submit(_cast_text, views.slice(start, stop - start), kind)
        for start, stop in pairwise(bounds)
    ]


def _cast_text(views: Any, kind: pa.DataType) -> Any:
    """Arrow text (``string_view``) cast to ``kind`` through ``large_string``."""
    return views.cast(pa.large_string()).cast(kind)


def _joined(column: pa.ChunkedArray) -> np.ndarray:
    """A float column without nulls as one new numpy array: its chunks' buffers (viewed, no
    copy) copied one after the other.

    Why not polars' ``to_numpy()`` or pyarrow's: polars' join wrote into memory fresh from the
    system (about 20,000 page faults, 0.07 s of system time, for the ten 1M-row columns of the
    Arbin benchmark file), pyarrow's converts value by value; numpy's ``concatenate`` takes its
    memory from the C heap, which keeps freed blocks (``analysis.runtime.keep_freed_memory``),
    and copies whole buffers: 0.02-0.04 s for the ten columns against 0.09-0.13 s. The bits are
    the same (a copy: -0.0 and NaN payloads too).
    """
    parts = [chunk.to_numpy(zero_copy_only=True) for chunk in column.chunks]
    return np.concatenate(parts) if parts else column.to_numpy()


def _chunks(values: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    """The arrays of an Arrow array or chunked array, in order."""
    return list(values.chunks) if isinstance(values, pa.ChunkedArray) else [values]
