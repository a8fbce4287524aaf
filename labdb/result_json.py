"""A result's canonical JSON, with the rows of its tables taken from an earlier result's JSON.

A job stores its pipeline's JSON in canonical form (:func:`labdb.provenance.canonical_json`:
sorted keys, no spaces); its sha256 is the job's ``output_sha256``. A cycling result of a
1,600-cycle test is ~3.2 MB of it, almost all the per-cycle and per-half-cycle tables
(``tables``: a list of row objects each), and ``json.dumps`` of it cost ~50 ms, a float
``repr`` per value. A version of a growing file has the same rows as the earlier version's
result for all but its last cycles (:func:`labdb.services.results.same_rows` tells which:
same columns and dtypes, every value the same as the JSON writes it), so its JSON is written
from the earlier result's JSON: the text of each such row is copied from there, the other rows
and everything outside the tables are encoded. The text is the same, byte for byte, as
``canonical_json`` of the whole (a row's canonical text is a function of its values alone);
``tests/labdb/test_result_json.py`` checks it and the job path is checked against full
analyses (``tests/labdb/api/test_growing_chain.py``).

The earlier JSON is read verified (its bytes hash to the sha256 it is stored under) and its
rows are found by a scan of its structure (:func:`table_row_spans`: braces and brackets
outside strings), or, where this process wrote it from an earlier JSON in its turn, known
from that writing (:func:`written_json`); the count of rows of each table must be the earlier stored table's, and
the first and last row copied of each table are compared with their own encoding: anything
else and the whole JSON is encoded as before (the same text, only slower).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from labdb.provenance import canonical_json
from labdb.table_parts import parts_kept

_QUOTE, _BACKSLASH = 0x22, 0x5C
_OPEN, _CLOSE = (0x7B, 0x5B), (0x7D, 0x5D)  # { [ and } ]
_TABLES_KEY = b'"tables":'

#: per table: the earlier JSON's row objects, as (start, stop) byte offsets
Spans = dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]
#: per table: which first rows are the earlier table's rows (the mask's length is the rows
#: compared: those both tables have), and the earlier table's rows
SameRows = tuple[npt.NDArray[np.bool_], int]


def _real_quotes(b: npt.NDArray[np.uint8], text: bytes) -> npt.NDArray[np.int64]:
    """Positions of the quotes that open or close a string (not an escaped ``\\"``)."""
    quotes = np.flatnonzero(b == _QUOTE)
    if text.find(b"\\") < 0 or not len(quotes):
        return quotes
    escaped = np.zeros(len(quotes), dtype=bool)
    after_backslash = np.flatnonzero(b[np.maximum(quotes - 1, 0)] == _BACKSLASH)
    for k in after_backslash.tolist():  # rare: count the backslashes before the quote
        q, run = int(quotes[k]) - 1, 0
        while q >= 0 and b[q] == _BACKSLASH:
            run, q = run + 1, q - 1
        escaped[k] = run % 2 == 1
    return quotes[~escaped]


def table_row_spans(text: bytes) -> Spans | None:
    """The byte spans of the row objects of each table of a result's canonical JSON
    (``{..., "tables": {"name": [{row}, {row}, ...], ...}, ...}``), by table name; None when
    the text is not of that shape. Found from the structure alone: the quotes that delimit
    strings, then the braces and brackets outside strings and their depth (vectorised: ~1 ms
    per MB)."""
    b = np.frombuffer(text, dtype=np.uint8)
    if not len(b) or b[0] != _OPEN[0]:
        return None
    quotes = _real_quotes(b, text)
    marks = np.flatnonzero((b == _OPEN[0]) | (b == _OPEN[1]) | (b == _CLOSE[0]) | (b == _CLOSE[1]))
    marks = marks[np.searchsorted(quotes, marks) % 2 == 0]  # outside strings
    chars = b[marks]
    step = np.where((chars == _OPEN[0]) | (chars == _OPEN[1]), 1, -1)
    after = np.cumsum(step)
    before = after - step
    # the "tables" key of the top-level object: a real quote, at depth 1
    at = text.find(_TABLES_KEY)
    while at >= 0:
        k = int(np.searchsorted(marks, at))  # the first mark after the key's quote
        in_string = int(np.searchsorted(quotes, at)) % 2 == 1
        if not in_string and k > 0 and after[k - 1] == 1:
            break
        at = text.find(_TABLES_KEY, at + 1)
    if at < 0 or k >= len(marks) or marks[k] != at + len(_TABLES_KEY) or chars[k] != _OPEN[0]:
        return None
    end = k + 1 + int(np.argmax(after[k + 1 :] == 1))  # the tables object's closing brace
    if after[end] != 1 or chars[end] != _CLOSE[0]:
        return None
    inner = slice(k + 1, end)
    m, c, lo, hi = marks[inner], chars[inner], before[inner], after[inner]
    arrays = np.flatnonzero((lo == 2) & (c == _OPEN[1]))
    closes = np.flatnonzero((hi == 2) & (c == _CLOSE[1]))
    if len(arrays) != len(closes) or np.any((lo == 2) & (c == _OPEN[0])):
        return None  # a table that is not a list of rows
    spans: Spans = {}
    for a, z in zip(arrays.tolist(), closes.tolist(), strict=True):
        # the table's name: the string just before ':' and '['
        start = int(m[a])
        if text[start - 2 : start] != b'":':
            return None
        q = int(np.searchsorted(quotes, start - 2))
        if q < 1 or quotes[q] != start - 2:
            return None
        name = json.loads(text[int(quotes[q - 1]) : start - 1])
        rows = slice(a + 1, z)
        opens = m[rows][(lo[rows] == 3) & (c[rows] == _OPEN[0])]
        shuts = m[rows][(hi[rows] == 3) & (c[rows] == _CLOSE[0])]
        if len(opens) != len(shuts) or np.any((lo[rows] == 3) & (c[rows] == _OPEN[1])):
            return None  # an item that is not a row object
        spans[str(name)] = (opens.astype(np.int64), shuts.astype(np.int64) + 1)
    return spans


#: the result JSONs this process wrote or read last, with their row spans once scanned
#: (sha256 -> (text, spans)): kept where table parts are kept (a worker's serving child,
#: :func:`labdb.table_parts.parts_kept`), whose next job is the next version's and copies
#: rows from the JSON its last job wrote. The text is the bytes stored under the sha256,
#: which were hashed when written or read verified.
_kept: OrderedDict[str, tuple[bytes, Spans | None]] = OrderedDict()
KEPT_JSONS = 4


def remember_json(sha256: str, text: bytes, spans: Spans | None = None) -> None:
    """Keep the JSON ``text`` stored under ``sha256`` for the next job (where parts are
    kept)."""
    if not parts_kept():
        return
    _kept[sha256] = (text, spans if spans is not None else _kept.get(sha256, (b"", None))[1])
    _kept.move_to_end(sha256)
    while len(_kept) > KEPT_JSONS:
        _kept.popitem(last=False)


def kept_json(sha256: str) -> tuple[bytes, Spans | None] | None:
    """The JSON text stored under ``sha256`` and its row spans (None when not scanned yet),
    if this process keeps it."""
    found = _kept.get(sha256)
    if found is not None:
        _kept.move_to_end(sha256)
    return found


def result_json(
    data: Mapping[str, Any],
    earlier: bytes | None = None,
    same: Mapping[str, SameRows] | None = None,
    earlier_sha256: str | None = None,
) -> tuple[bytes, int]:
    """``canonical_json(data)`` as bytes, and how many rows were copied. ``earlier``: the
    canonical JSON of an earlier result (stored under ``earlier_sha256``: its row spans are
    kept with it, :func:`remember_json`); ``same``: per table of ``data["tables"]``, which of
    its first rows equal, value for value, the rows at the same place of that result's table,
    and how many rows that table has (:func:`labdb.services.results.same_rows`): their text is
    copied from ``earlier``."""
    text, copied, _ = written_json(data, earlier, same, earlier_sha256)
    return text, copied


def written_json(
    data: Mapping[str, Any],
    earlier: bytes | None = None,
    same: Mapping[str, SameRows] | None = None,
    earlier_sha256: str | None = None,
) -> tuple[bytes, int, Spans | None]:
    """:func:`result_json`, with the row spans of the text written when it was written from
    ``earlier`` (the spans of its copied rows are the earlier spans moved, those of the rows
    encoded are known as they are joined: the next version's job then need not scan it,
    ~5 ms per MB); None when it was encoded whole."""

    def whole() -> tuple[bytes, int, Spans | None]:
        tables = data.get("tables")
        if isinstance(tables, Mapping):  # rows built when asked for: all of them now
            return (
                canonical_json(
                    {**data, "tables": {k: list(v) for k, v in tables.items()}}
                ).encode(),
                0,
                None,
            )
        return canonical_json(data).encode(), 0, None

    tables = data.get("tables")
    if (
        not earlier
        or not same
        or not isinstance(tables, Mapping)
        or not any(np.any(mask) for mask, _ in same.values())
    ):
        return whole()
    known = kept_json(earlier_sha256) if earlier_sha256 else None
    spans = known[1] if known is not None and known[0] is earlier else None
    if spans is None:
        spans = table_row_spans(earlier)
        if earlier_sha256 and spans is not None:
            remember_json(earlier_sha256, earlier, spans)
    if spans is None:
        return whole()
    view = memoryview(earlier)
    pieces: list[bytes | memoryview] = [b"{"]  # joined once: one copy of the whole text
    at = 1  # bytes in pieces
    written: Spans = {}
    copied = 0

    def add(piece: bytes | memoryview) -> None:
        nonlocal at
        pieces.append(piece)
        at += len(piece)

    for key in sorted(data):
        if len(pieces) > 1:
            add(b",")
        add(json.dumps(key).encode() + b":")
        if key != "tables":
            add(canonical_json(data[key]).encode())
            continue
        add(b"{")
        for t, name in enumerate(sorted(tables)):
            add((b"," if t else b"") + json.dumps(name).encode() + b":[")
            rows = tables[name]
            mask, earlier_rows = same.get(name, (np.zeros(0, dtype=bool), 0))
            texts: list[tuple[bytes | memoryview, int, int]] | None = None
            if name in spans and np.any(mask):
                if len(spans[name][0]) != earlier_rows or len(mask) > min(len(rows), earlier_rows):
                    return whole()  # the earlier JSON's table is not the stored one
                texts = _rows_text(rows, mask, spans[name], view)
                if texts is None:
                    return whole()
                copied += int(np.count_nonzero(mask))
            if texts is None:
                texts = [(canonical_json(row).encode(), -1, 1) for row in rows]
            starts: list[npt.NDArray[np.int64]] = []
            stops: list[npt.NDArray[np.int64]] = []
            encoded: list[int] = []  # spans of single rows, gathered, then of a run moved
            for i, (text, first, n) in enumerate(texts):
                if i:
                    add(b",")
                if first < 0:  # one row encoded
                    encoded += (at, at + len(text))
                else:  # rows first..first + n copied: their earlier spans, moved here
                    _flush(encoded, starts, stops)
                    run_starts, run_stops = spans[name]
                    shift = at - int(run_starts[first])
                    starts.append(run_starts[first : first + n] + shift)
                    stops.append(run_stops[first : first + n] + shift)
                add(text)
            _flush(encoded, starts, stops)
            add(b"]")
            empty = np.zeros(0, dtype=np.int64)
            written[str(name)] = (
                np.concatenate(starts) if starts else empty,
                np.concatenate(stops) if stops else empty,
            )
        add(b"}")
    add(b"}")
    return b"".join(pieces), copied, written


def _rows_text(
    rows: list[Any],
    mask: npt.NDArray[np.bool_],
    spans: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
    earlier: memoryview,
) -> list[tuple[bytes | memoryview, int, int]] | None:
    """The table's rows as texts to join with commas, each with the first earlier row it
    copies and how many (-1 and 1 for a row encoded): each run of rows that ``mask`` says are
    the earlier ones as one slice of ``earlier`` (the rows and the commas between them), the
    other rows encoded; None when the earlier table does not line up (see the module
    docstring)."""
    starts, stops = spans
    copied = np.flatnonzero(mask)
    for i in (int(copied[0]), int(copied[-1])):  # the ends of what is copied line up
        if bytes(earlier[starts[i] : stops[i]]) != canonical_json(rows[i]).encode():
            return None
    texts: list[tuple[bytes | memoryview, int, int]] = []
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))  # run starts, stops
    i = 0
    for a, z in zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True):
        texts.extend((canonical_json(rows[k]).encode(), -1, 1) for k in range(i, a))
        texts.append((earlier[int(starts[a]) : int(stops[z - 1])], a, z - a))
        i = z
    texts.extend((canonical_json(rows[k]).encode(), -1, 1) for k in range(i, len(rows)))
    return texts


def _flush(
    encoded: list[int], starts: list[npt.NDArray[np.int64]], stops: list[npt.NDArray[np.int64]]
) -> None:
    """Move the gathered spans of single rows (start, stop, start, stop, ...) to ``starts``
    and ``stops``."""
    if encoded:
        pairs = np.array(encoded, dtype=np.int64).reshape(-1, 2)
        starts.append(pairs[:, 0])
        stops.append(pairs[:, 1])
        encoded.clear()
