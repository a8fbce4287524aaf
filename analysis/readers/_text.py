"""Fast delimited-text reading shared by the CSV-like cycling readers (pyarrow's CSV parser).

Vendors put free-text headers above the table, quote whole lines (Novonix), use ``;`` or tabs,
decimal commas, and Latin-1 or GBK encodings. :func:`read_table` finds the header line, parses
the rest with pyarrow (multi-threaded, no Python loop over rows) and reports malformed rows: a
short last row is a truncated file (dropped, with a warning); a malformed row elsewhere is a
:class:`ParseError` naming it.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv

from analysis.readers import _polars_csv
from analysis.readers._bad_rows import BadRows, keep_undecodable_rows
from analysis.readers._head import BOM
from analysis.readers._limits import LimitExceeded, limits, rows_at_most
from analysis.readers.base import ParseError

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

#: Parsing block of the typed fast paths (every column given its type, only the columns the
#: reader converts): 1-4 MB blocks parse a 100 MB file with about a quarter less CPU than 16 MB
#: (measured on the Arbin benchmark file): the block stays in the CPU cache.
TYPED_BLOCK_BYTES = 1 << 22

NULLS = ["", "N/A", "NA", "n/a", "NaN", "nan", "null", "NULL", "-", "#N/A"]

#: Texts that stand for a missing or non-finite value (compared lower-cased and stripped): they
#: become NaN/Inf and go to the repair rules of :mod:`analysis.readers.canonical`. Any other
#: text in a numeric column is a :class:`ParseError` (see :func:`to_float`).
MISSING_TEXTS = frozenset(
    {s.lower() for s in NULLS}
    | {"none", "#n/a", "#value!", "#num!", "#div/0!"}
    | {f"{sign}{word}" for sign in ("", "+", "-") for word in ("nan", "inf", "infinity")}
)


@dataclass
class TextTable:
    frame: pd.DataFrame
    header_line: int  # 1-based line number of the header in the file
    warnings: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    decimal_comma: bool = False

    @property
    def first_row(self) -> int:
        """1-based file line of the first data row (for error messages)."""
        return self.header_line + 1


def read_table(
    path: Path,
    *,
    header_index: int,
    delimiter: str,
    encoding: str = "utf-8",
    quoted_lines: bool = False,
    decimal_comma: bool = False,
    column_types: dict[str, Any] | None = None,
    column_names: list[str] | None = None,
    include_columns: Sequence[str] | None = None,
    block_size: int = 1 << 24,
    timestamp_formats: Sequence[str] = (),
) -> TextTable:
    """Parse the table whose header is line ``header_index`` (0-based) of ``path``.

    ``include_columns``: only these columns (names as :func:`header_names` gives them) are
    converted and returned, in the file's order; the others are only tokenised (every row is
    still checked for its number of fields). ``column_types`` (pyarrow types by column name)
    skip type inference; a value that does not convert is an error (:class:`ParseError`), so a
    caller that wants the precise per-value messages of :func:`to_float` reads again without.
    ``block_size``: bytes per parsing block; pyarrow infers the types of the columns without
    ``column_types`` from the first block, hence the large default. With every column typed
    a few MB parse faster (the block stays in the CPU cache). ``timestamp_formats``: the only
    strptime formats (``%Y-%m-%d %I:%M:%S %p``; ISO 8601 is then not tried) pyarrow accepts in
    the columns typed as timestamps in ``column_types``: a vendor's date texts are parsed while
    the file is, by the parser's threads, with no string column made for them.
    """
    bad: list[str] = []
    trailing = None
    names: list[str] = []
    if column_names is None:
        # Rows ending with one delimiter more than the header has (Landt as published with
        # BDF's examples): the extra, empty field gets a name and is dropped after parsing.
        names = header_names(
            path,
            header_index=header_index,
            delimiter=delimiter,
            encoding=encoding,
            quoted_lines=quoted_lines,
        )
        first = _line_after(path, header_index, encoding)
        if names and first.endswith(delimiter) and first.count(delimiter) == len(names):
            trailing = "\x00trailing"
            column_names = [*names, trailing]

    on_bad = BadRows(bad)
    keep_undecodable_rows()

    read_opts = pacsv.ReadOptions(
        skip_rows=header_index + (1 if column_names else 0),
        column_names=column_names,
        encoding=encoding,
        block_size=block_size,
    )
    parse_opts = pacsv.ParseOptions(
        delimiter=delimiter,
        quote_char=False if quoted_lines else '"',
        invalid_row_handler=on_bad,
        newlines_in_values=False,
    )
    conv_opts = pacsv.ConvertOptions(
        null_values=NULLS,
        strings_can_be_null=True,
        decimal_point="," if decimal_comma else ".",
        column_types=column_types or {},
        include_columns=list(include_columns or ()),
        timestamp_parsers=list(timestamp_formats) or None,
    )
    n_fields = len(column_names if column_names is not None else names)
    fast = _polars_csv.typed_frame(
        path,
        names=names,
        header_index=header_index,
        delimiter=delimiter,
        encoding=encoding,
        plain=not (quoted_lines or decimal_comma or timestamp_formats or trailing),
        column_types=column_types or {},
        include_columns=include_columns,
    )
    if fast is not None:
        return TextTable(frame=fast, header_line=header_index + 1, encoding=encoding)
    try:
        table = _parse_bounded(
            path,
            n_fields=n_fields,
            n_columns=len(include_columns) if include_columns else n_fields,
            options=(read_opts, parse_opts, conv_opts),
        )
    except pa.ArrowInvalid as exc:
        if on_bad.undecodable:
            raw = on_bad.undecodable[0]
            raise ParseError(
                f"malformed row, with bytes that are not {encoding} text",
                file=path,
                row=_line_number_of_bytes(path, raw),
                expected=f"{n_fields} fields separated by {delimiter!r}, {encoding} text",
                found=raw[:120].decode(encoding, errors="backslashreplace"),
            ) from exc
        raise ParseError(f"cannot parse the table: {exc}", file=path, row=header_index + 1) from exc
    if quoted_lines:
        table = _unquote(table)
    # One block per column (no consolidation into a 2-D copy) and the Arrow buffers released
    # column by column as they are converted: float columns without nulls are not copied.
    if trailing is not None and trailing in table.column_names:  # not in include_columns
        table = table.drop_columns([trailing])
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    frame.columns = [str(c).strip().strip('"').strip() for c in frame.columns]
    result = TextTable(
        frame=frame, header_line=header_index + 1, encoding=encoding, decimal_comma=decimal_comma
    )
    if bad:
        last = _last_line(path, encoding)
        n_fields = len(frame.columns) + (trailing is not None)
        if include_columns:
            n_fields = len(
                header_names(
                    path,
                    header_index=header_index,
                    delimiter=delimiter,
                    encoding=encoding,
                    quoted_lines=quoted_lines,
                )
            )
        if len(bad) == 1 and bad[0].strip() == last.strip():
            found = bad[0].count(delimiter) + 1
            result.warnings.append(
                f"row {header_index + 1 + len(frame) + 1}: the last row is truncated "
                f"({found} of {n_fields} fields); dropped"
            )
        else:
            line = _line_number(path, bad[0], encoding)
            raise ParseError(
                "malformed row",
                file=path,
                row=line,
                expected=f"{n_fields} fields separated by {delimiter!r}",
                found=bad[0][:120],
            )
    return result


def read_table_typed(
    path: Path,
    *,
    header_index: int,
    delimiter: str,
    encoding: str,
    numbers: frozenset[str],
    dates: dict[str, str],
    quoted_lines: bool = False,
    decimal_comma: bool = False,
) -> TextTable:
    """:func:`read_table` with a vendor's known columns typed: ``numbers`` (names as the vendor
    writes them) parsed straight to float64 and ``dates`` (name -> strptime format) to
    timestamps while pyarrow parses the file, by its threads, with no string column made for
    them and no second pass. Anything unusual (a value that is not a number or not a date of
    that format, duplicated names) reads the whole table with type inference as
    :func:`read_table` does, whose errors name the row and value; a file over a limit is
    refused either way.
    """
    names = header_names(
        path,
        header_index=header_index,
        delimiter=delimiter,
        encoding=encoding,
        quoted_lines=quoted_lines,
    )
    last = len(names) - 1
    types: dict[str, Any] = {}
    formats: list[str] = []
    for i, raw in enumerate(names):
        # A line in quotes as a whole: its first and last fields keep a quote (undone after).
        opening = '"' if quoted_lines and i == 0 else ""
        closing = '"' if quoted_lines and i == last else ""
        name = raw.strip().strip('"').strip()
        if name in numbers and not closing:
            types[raw] = pa.float64()
        elif name in dates:
            types[raw] = pa.timestamp("s")
            formats.append(opening + dates[name] + closing)
    options: dict[str, Any] = {
        "header_index": header_index,
        "delimiter": delimiter,
        "encoding": encoding,
        "quoted_lines": quoted_lines,
        "decimal_comma": decimal_comma,
    }
    if types and len(set(names)) == len(names):
        try:
            return read_table(path, column_types=types, timestamp_formats=formats, **options)
        except LimitExceeded:
            raise
        except ParseError:
            pass  # not plain numbers or dates: the general path names the row and value
    return read_table(path, **options)


def _parse_bounded(
    path: Path,
    *,
    n_fields: int,
    n_columns: int,
    options: tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions],
) -> pa.Table:
    """The table parsed within the reader limits (:mod:`analysis.readers._limits`).

    A file that cannot hold more rows or cells than allowed (from its size or, for a large one,
    its count of lines) is parsed whole by pyarrow's multi-threaded reader. Any other is parsed
    as a stream of blocks whose rows are counted as they come: it is refused as soon as it is
    over a limit, holding at most the limit and one block, never the whole table.
    """
    bounds = limits()
    read_opts, parse_opts, conv_opts = options
    if bounds.allows(rows_at_most(path, n_fields, bounds, n_columns), n_columns):
        table = pacsv.read_csv(
            str(path), read_options=read_opts, parse_options=parse_opts, convert_options=conv_opts
        )
        bounds.check_table(path, table.num_rows, table.num_columns)
        return table
    reader = pacsv.open_csv(
        str(path), read_options=read_opts, parse_options=parse_opts, convert_options=conv_opts
    )
    batches = []
    rows = 0
    for batch in reader:
        rows += batch.num_rows
        bounds.check_table(path, rows, batch.num_columns, so_far=True)
        batches.append(batch)
    return pa.Table.from_batches(batches, schema=reader.schema)


def header_names(
    path: Path,
    *,
    header_index: int,
    delimiter: str,
    encoding: str = "utf-8",
    quoted_lines: bool = False,
) -> list[str]:
    """The column names of the header line ``header_index`` (0-based) as pyarrow parses them
    (the names :func:`read_table` accepts in ``include_columns``); [] if it cannot be parsed."""
    with path.open("rb") as fh:
        lines = []
        for _ in range(header_index + 1):
            line = fh.readline(1 << 20)
            if not line:
                return []
            lines.append(line)
    last = lines[-1][len(BOM) :] if header_index == 0 and lines[-1].startswith(BOM) else lines[-1]
    try:
        table = pacsv.read_csv(
            io.BytesIO(last.rstrip(b"\r\n") + b"\n"),
            read_options=pacsv.ReadOptions(encoding=encoding),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, quote_char=False if quoted_lines else '"'
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError, LookupError):
        return []
    return list(table.column_names)


def sample_types(
    path: Path,
    *,
    header_index: int,
    delimiter: str,
    columns: Sequence[str],
    encoding: str = "utf-8",
    n_bytes: int = 64 * 1024,
) -> dict[str, pa.DataType]:
    """The types pyarrow infers for ``columns`` from the complete lines of the first
    ``n_bytes`` of the table (cheap; {} if that cannot be parsed)."""
    with path.open("rb") as fh:
        head = fh.read(n_bytes)
    cut = head.rfind(b"\n")
    if cut < 0:
        return {}
    try:
        table = pacsv.read_csv(
            io.BytesIO(head[: cut + 1]),
            read_options=pacsv.ReadOptions(skip_rows=header_index, encoding=encoding),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                null_values=NULLS, strings_can_be_null=True, include_columns=list(columns)
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError, LookupError):
        return {}
    return {f.name: f.type for f in table.schema}


def to_float(
    values: Any,
    *,
    file: str | Path | None,
    column: str,
    first_row: int,
    decimal_comma: bool = False,
) -> npt.NDArray[np.float64]:
    """A numeric column as float64, refusing text that is not a number.

    ``values`` is a column as read (pyarrow or Excel: numbers, or text when one cell was not a
    number). Missing values (empty, ``NaN``, ``N/A``...) and ``inf``/``-inf`` become NaN/Inf,
    left to the repair rules; any other text raises :class:`ParseError` naming the file, the
    row as the file shows it (``first_row`` is the file's line of the column's first value),
    the column and the text. Vectorised: only the rows that did not convert are looked at.
    """
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
        # Numbers already (a reader's own arrays): no Series around them (pandas 3 copies
        # an array it wraps).
        return np.asarray(values, dtype=np.float64)
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if series.dtype.kind in "fiub":
        return np.asarray(series.to_numpy(np.float64, na_value=np.nan), dtype=np.float64)
    source = series
    if decimal_comma:
        source = series.astype("string").str.replace(",", ".", regex=False)
    arr = np.asarray(
        pd.to_numeric(source, errors="coerce").to_numpy(np.float64, na_value=np.nan),
        dtype=np.float64,
    )
    failed = np.isnan(arr) & series.notna().to_numpy()
    if failed.any():
        check_missing(series, np.flatnonzero(failed), file=file, column=column, first_row=first_row)
    return arr


def check_missing(
    series: pd.Series,
    positions: npt.NDArray[np.intp],
    *,
    file: str | Path | None,
    column: str,
    first_row: int,
    expected: str = "a number",
) -> None:
    """Raise :class:`ParseError` on the first of ``positions`` that is not a missing-value text."""
    text = series.iloc[positions].astype("string").str.strip()
    missing = text.str.lower().isin(MISSING_TEXTS).to_numpy(dtype=bool, na_value=True)
    if missing.all():
        return
    first = int(np.argmin(missing))
    raise ParseError(
        "not a number" if expected == "a number" else "unreadable value",
        file=file,
        row=first_row + int(positions[first]),
        column=str(column),
        expected=expected,
        found=str(series.iloc[int(positions[first])]),
    )


def _unquote(table: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    names = [n.strip('"') for n in table.column_names]
    cols = []
    for i, col in enumerate(table.columns):
        if i in (0, table.num_columns - 1) and pa.types.is_string(col.type):
            col = pc.utf8_trim(col, characters='"')
            if i == table.num_columns - 1:
                with contextlib.suppress(pa.ArrowInvalid):
                    col = pc.cast(col, pa.float64())
        cols.append(col)
    return pa.table(cols, names=names)


def _line_after(path: Path, header_index: int, encoding: str) -> str:
    """The line after the header (the first data row), without its line end; "" if none."""
    with path.open("rb") as fh:
        for _ in range(header_index + 1):
            if not fh.readline(1 << 20):
                return ""
        return fh.readline(1 << 20).decode(encoding, errors="replace").rstrip("\r\n")


def _last_line(path: Path, encoding: str) -> str:
    with path.open("rb") as fh:
        fh.seek(0, io.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 65536))
        tail = fh.read().decode(encoding, errors="replace")
    lines = [ln for ln in tail.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def _line_number_of_bytes(path: Path, raw: bytes) -> int | None:
    """1-based line of ``path`` that is ``raw`` (a row as pyarrow saw it, without line end)."""
    wanted = raw.rstrip(b"\r\n")
    with path.open("rb") as fh:
        for i, line in enumerate(fh, start=1):
            if line.rstrip(b"\r\n") == wanted:
                return i
    return None


def _line_number(path: Path, text: str, encoding: str) -> int | None:
    with path.open("r", encoding=encoding, errors="replace") as fh:
        for i, line in enumerate(fh, start=1):
            if line.rstrip("\r\n") == text.rstrip("\r\n"):
                return i
    return None
