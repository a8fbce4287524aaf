"""Bounds on what a file may unpack to: decompressed bytes, rows and cells.

A small compressed file can stand for an enormous table (a 3 MB ``.nda.zip`` of 3 GiB, a 2 MB
``.xlsx`` of 3M rows): every container is checked before it is unpacked, from what it declares
(ZIP member sizes, a spreadsheet's ``<row>`` elements counted as its XML streams out, gzip
streamed through a counter, Parquet footer, HDF5 dataset shapes), and
every text table while it is parsed (:func:`rows_at_most`, then a streamed parse that counts
rows as it goes when the file could hold more than the limits allow), and a file over a limit
is refused with a :class:`LimitExceeded`
naming the limit and the setting that raises it.

Settings (environment variables, read by :func:`limits`; the web and worker processes have them
from the same environment as the rest of labdb's configuration):

=================================  ===========  ================================================
``LABDB_READER_MAX_BYTES``         2 GiB        decompressed bytes of one file, whatever its size
``LABDB_READER_MAX_RATIO``         100          decompressed bytes per byte of the file ...
``LABDB_READER_MIN_BYTES``         64 MiB       ... but never less than this
``LABDB_READER_MAX_ROWS``          20,000,000   rows of one table
``LABDB_READER_MAX_CELLS``         500,000,000  rows x columns of one table
=================================  ===========  ================================================

The ratio: the real instrument files of the conformance set unpack to at most 20x their size
(a Neware ``.nda.zip``; ``.ndax`` 4-12x, ``.xlsx`` 5x, Parquet 1-4x).
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from analysis.readers._errors import ParseError

GIB = 1 << 30
MIB = 1 << 20


class LimitExceeded(ParseError):
    """A file over one of the reader limits (see the module docstring)."""


@dataclass(frozen=True)
class ReaderLimits:
    max_bytes: int = 2 * GIB
    max_ratio: float = 100.0
    min_bytes: int = 64 * MIB
    max_rows: int = 20_000_000
    max_cells: int = 500_000_000

    def budget(self, file_bytes: int) -> int:
        """Decompressed bytes allowed for a file of ``file_bytes`` bytes."""
        return int(min(self.max_bytes, max(self.min_bytes, self.max_ratio * file_bytes)))

    def refuse_bytes(self, path: Path, found: int, what: str) -> LimitExceeded:
        budget = self.budget(path.stat().st_size)
        setting = (
            "LABDB_READER_MAX_BYTES"
            if budget == self.max_bytes
            else "LABDB_READER_MAX_RATIO / LABDB_READER_MIN_BYTES"
        )
        return LimitExceeded(
            f"{what} unpacks to more than the reader limit of {budget:,} bytes "
            f"({self.max_ratio:g}x the file's {path.stat().st_size:,} bytes, at least "
            f"{self.min_bytes:,}, at most {self.max_bytes:,}; set {setting} to allow more)",
            file=path,
            expected=f"at most {budget:,} decompressed bytes",
            found=f"{found:,} bytes" if found >= 0 else "more",
        )

    def allows(self, rows: int, columns: int) -> bool:
        """Whether a table of ``rows`` x ``columns`` is within the row and cell limits."""
        return rows <= self.max_rows and rows * columns <= self.max_cells

    def check_table(self, path: Path, rows: int, columns: int, *, so_far: bool = False) -> None:
        """Refuse a table of more rows or cells than allowed (``so_far``: ``rows`` are those
        parsed before the reader stopped, the file holds at least that many)."""
        at_least = "at least " if so_far else ""
        if rows > self.max_rows:
            raise LimitExceeded(
                f"the table has more rows than the reader limit of {self.max_rows:,} "
                "(set LABDB_READER_MAX_ROWS to allow more)",
                file=path,
                expected=f"at most {self.max_rows:,} rows",
                found=f"{at_least}{rows:,} rows",
            )
        if rows * columns > self.max_cells:
            raise LimitExceeded(
                f"the table has more cells than the reader limit of {self.max_cells:,} "
                "(set LABDB_READER_MAX_CELLS to allow more)",
                file=path,
                expected=f"at most {self.max_cells:,} cells (rows x columns)",
                found=f"{at_least}{rows:,} x {columns:,}",
            )

    def check_text_lines(self, path: Path) -> None:
        """Refuse a text file of more lines than the row limit, before a reader that parses
        the whole text in Python (impedance, mechanics exports) loads it: counted in 1 MiB
        blocks, stopping once over the limit. (Header and blank lines count as rows here: such
        files hold a few thousand rows, far from any limit.)"""
        lines = count_lines(path, stop_above=self.max_rows)
        if lines > self.max_rows:
            raise LimitExceeded(
                f"the text has more lines than the reader limit of {self.max_rows:,} rows "
                "(set LABDB_READER_MAX_ROWS to allow more)",
                file=path,
                expected=f"at most {self.max_rows:,} rows",
                found=f"more than {self.max_rows:,} lines",
            )


def count_lines(path: Path, *, stop_above: int | None = None) -> int:
    """Lines of ``path`` (line ends ``\\n``, ``\\r\\n`` or a bare ``\\r`` as pyarrow takes them,
    plus a last line without one), counted in 1 MiB blocks (one block in memory); stops as soon
    as more than ``stop_above`` are found. A ``\\r\\n`` cut by a block boundary counts twice:
    an upper bound, never less."""
    lines = 0
    last = b"\n"
    with path.open("rb") as fh:
        while block := fh.read(MIB):
            lines += block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")
            last = block[-1:]
            if stop_above is not None and lines > stop_above:
                return lines
    return lines + (last not in (b"\n", b"\r"))


def rows_at_most(path: Path, n_fields: int, bounds: ReaderLimits, columns: int) -> int:
    """An upper bound on the rows of the delimited text table in ``path`` whose rows have
    ``n_fields`` fields: a row takes at least ``n_fields`` bytes (its delimiters and line end),
    so the file's size bounds it for free; when that bound is over the limits (a file of
    hundreds of MB), the file's lines are counted (streamed, stopping above the limits)."""
    most = path.stat().st_size // max(n_fields, 1) + 1
    if bounds.allows(most, columns):
        return most
    return count_lines(path, stop_above=min(bounds.max_rows, bounds.max_cells // max(columns, 1)))


def limits() -> ReaderLimits:
    """The limits in force: the environment's settings over the defaults."""
    default = ReaderLimits()

    def number(name: str, value: float) -> float:
        text = os.environ.get(name, "").strip().replace("_", "")
        if not text:
            return value
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{name}: expected a number, found {text!r}") from None

    return ReaderLimits(
        max_bytes=int(number("LABDB_READER_MAX_BYTES", default.max_bytes)),
        max_ratio=number("LABDB_READER_MAX_RATIO", default.max_ratio),
        min_bytes=int(number("LABDB_READER_MIN_BYTES", default.min_bytes)),
        max_rows=int(number("LABDB_READER_MAX_ROWS", default.max_rows)),
        max_cells=int(number("LABDB_READER_MAX_CELLS", default.max_cells)),
    )


def check_container(path: Path, head: bytes, bounds: ReaderLimits) -> None:
    """Refuse a ZIP (.ndax, .nda.zip, .xlsx), Parquet or HDF5 file that declares more than the
    limits allow, before any reader unpacks it. (gzip declares nothing reliable: see
    :func:`copy_bounded`.)"""
    if head.startswith(b"PK\x03\x04"):
        _check_zip(path, bounds)
    elif head.startswith(b"PAR1"):
        _check_parquet(path, bounds)
    elif head.startswith(b"\x89HDF\r\n\x1a\n"):
        _check_hdf5(path, bounds)


def _check_zip(path: Path, bounds: ReaderLimits) -> None:
    # Python's zipfile (which fastnda and openpyxl use) never unpacks a member past its declared
    # size (it stops there and fails the CRC), so the declared sizes bound what is unpacked.
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (
        zipfile.BadZipFile,
        UnicodeDecodeError,
        NotImplementedError,  # zipfile: an unsupported ZIP version or compression
        EOFError,
        OSError,
        ValueError,
    ):
        return  # not a readable archive (found by bench/fuzz.py): the reader says so
    total = sum(m.file_size for m in members)
    if total > bounds.budget(path.stat().st_size):
        largest = max(members, key=lambda m: m.file_size)
        raise bounds.refuse_bytes(path, total, f"the archive (largest member {largest.filename!r})")
    sheets = [m for m in members if _WORKSHEET.fullmatch(m.filename)]
    if sheets:
        _check_sheet_rows(path, sheets, bounds)


#: A spreadsheet's worksheet parts (``xl/worksheets/sheet1.xml``).
_WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)
#: Rows of one worksheet in the file format (ECMA-376 as Excel implements it: 1,048,576).
SHEET_MAX_ROWS = 1 << 20


def _check_sheet_rows(path: Path, sheets: list[zipfile.ZipInfo], bounds: ReaderLimits) -> None:
    """Refuse a spreadsheet with more rows than a worksheet holds, or than the row limit in
    all, before openpyxl parses it (it takes about a minute per million rows; a few MB of
    compressed XML hold millions of small rows within the byte budget). The ``<row`` elements
    are counted in the XML streamed out of the ZIP, 1 MiB at a time, stopping once over."""
    total = 0
    with zipfile.ZipFile(path) as archive:
        for sheet in sheets:
            try:
                rows = _count_xml_rows(archive, sheet, stop_above=SHEET_MAX_ROWS)
            except (
                zipfile.BadZipFile,
                UnicodeDecodeError,  # a member name that is not UTF-8 (found by bench/fuzz.py)
                NotImplementedError,
                EOFError,
                OSError,
                zlib.error,
            ):
                return  # a damaged archive: the reader says so
            if rows > SHEET_MAX_ROWS:
                raise LimitExceeded(
                    f"worksheet {sheet.filename!r} has more rows than a worksheet holds",
                    file=path,
                    expected=f"at most {SHEET_MAX_ROWS:,} rows per worksheet",
                    found=f"more than {SHEET_MAX_ROWS:,} <row> elements",
                )
            total += rows
            bounds.check_table(path, total, 1, so_far=True)


def _count_xml_rows(archive: zipfile.ZipFile, member: zipfile.ZipInfo, *, stop_above: int) -> int:
    """``<row>`` elements (any namespace prefix) of a worksheet, streamed. A tag cut by a block
    boundary is counted once: each block is searched with the end of the previous one in
    front, less the tags found in that end alone."""
    rows = 0
    tail = b""
    with archive.open(member) as xml:
        while block := xml.read(MIB):
            text = tail + block
            rows += _rows_in(text) - _rows_in(tail)
            tail = text[-16:]
            if rows > stop_above:
                break
    return rows


def _rows_in(xml: bytes) -> int:
    return len(_ROW_TAG.findall(xml))


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")


def _check_parquet(path: Path, bounds: ReaderLimits) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except (pa.ArrowException, OSError, UnicodeDecodeError, NotImplementedError):
        # not a readable file (a name that is no UTF-8, a type pyarrow has no reader for:
        # bench/fuzz.py): the reader says
        return
    bounds.check_table(path, meta.num_rows, meta.num_columns)
    # The footer's sizes are of the encoded pages (a column of zeros is a few bytes of run
    # lengths): the decoded size is the rows times each column's width.
    width = {"BOOLEAN": 1, "INT32": 4, "FLOAT": 4, "INT64": 8, "DOUBLE": 8, "INT96": 12}
    total = 0
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        for j in range(group.num_columns):
            chunk = group.column(j)
            fixed = width.get(chunk.physical_type)
            if chunk.physical_type == "FIXED_LEN_BYTE_ARRAY":
                fixed = meta.schema.column(j).length
            total += group.num_rows * fixed if fixed else chunk.total_uncompressed_size
    if total > bounds.budget(path.stat().st_size):
        raise bounds.refuse_bytes(path, total, "the Parquet table")


def _check_hdf5(path: Path, bounds: ReaderLimits) -> None:
    import h5py
    import numpy as np

    sizes: list[tuple[int, int, int]] = []  # (bytes, rows, cells) of every dataset

    def visit(_name: str, item: object) -> None:
        if isinstance(item, h5py.Dataset) and item.shape is not None:
            cells = int(np.prod(item.shape)) if item.shape else 1
            rows = int(item.shape[0]) if item.shape else 1
            sizes.append((cells * item.dtype.itemsize, rows, cells))

    try:
        with h5py.File(path, "r") as h5:
            h5.visititems(visit)
    except (OSError, UnicodeDecodeError):
        return
    if not sizes:
        return
    total = sum(s[0] for s in sizes)
    if total > bounds.budget(path.stat().st_size):
        raise bounds.refuse_bytes(path, total, "the HDF5 datasets")
    bounds.check_table(path, max(s[1] for s in sizes), 1)
    if sum(s[2] for s in sizes) > bounds.max_cells:
        bounds.check_table(path, 1, sum(s[2] for s in sizes))


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def copy_bounded(source: _Readable, target: IO[bytes], *, bounds: ReaderLimits, path: Path) -> int:
    """Copy a decompressing stream in 1 MiB blocks, refusing as soon as more than the budget of
    ``path`` came out (a gzip stream declares no size that can be trusted)."""
    budget = bounds.budget(path.stat().st_size)
    copied = 0
    while block := source.read(MIB):
        copied += len(block)
        if copied > budget:
            raise bounds.refuse_bytes(path, -1, "the compressed stream")
        target.write(block)
    return copied
