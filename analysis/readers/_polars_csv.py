"""The typed read of a plain delimited table by polars' CSV parser (see :func:`typed_frame`),
taken by :func:`analysis.readers._text.read_table` before pyarrow's parse where it applies."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    columns: dict[str, Any] = {}
    for name in wanted:
        # Column by column (no rechunk of the whole frame: the guard column is never copied);
        # a column parsed in several chunks is joined into one array by to_numpy/to_arrow.
        series = df.get_column(name)
        if name in dates:
            try:
                stamps = _text_of(series).cast(dates[name])
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return None
            columns[name] = stamps.to_pandas()
        else:
            columns[name] = series.to_numpy()
    del df
    frame = pd.DataFrame(columns, copy=False)
    frame.columns = [str(c).strip().strip('"').strip() for c in frame.columns]
    return frame


def _text_of(series: Any) -> pa.Array:
    """A polars text column as one Arrow ``large_string`` array, the type pyarrow casts to
    timestamps (it has no cast from ``string_view``).

    Why not ``series.to_arrow()``: polars keeps text as views and converts them to
    ``large_string`` element by element (0.035-0.055 s for the 1M dates of the Arbin benchmark
    file), whereas exporting its views as they are (``string_view``, no copy) and letting
    pyarrow's cast copy them into one buffer takes 0.01-0.016 s. The text is the same.
    """
    import polars as pl

    views = series.to_arrow(compat_level=pl.CompatLevel.newest())
    return views.cast(pa.large_string())
