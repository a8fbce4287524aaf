"""Row-level series of a result: their digests, and a series that continues a stored one.

A result names each row-level series in its JSON by a digest of its values
(:func:`series_digest`, the first form: one sha256 over the whole series) or, for series a
pipeline keeps per group of rows, the grouped form (:func:`grouped_digest`,
``labdb.series-digest/2``: a sha256 of the groups' sha256s), which a version of a growing file
computes from the earlier version's group digests and its new groups only. Both forms are
checked from the series alone. :class:`StoredSeries` is an earlier result's stored series
known by its address and not read; :class:`GrownSeries` is a series whose first rows are a
stored series' (a pipeline continuing an earlier result refers to those rows instead of
holding them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd


@dataclass(frozen=True)
class StoredSeries:
    """A stored row-level series of an earlier analysis, known by its address (``ref``: the
    sha256 the store names it by), its rows and columns, and read only when ``load`` is
    called. A pipeline that continues an earlier result (``previous=``) and keeps that
    series' first rows refers to them instead of reading them (:class:`GrownSeries`)."""

    ref: str
    rows: int
    columns: tuple[str, ...]
    load: Callable[[], pd.DataFrame] = field(repr=False, compare=False)


@dataclass(frozen=True)
class GrownSeries:
    """A series of a result whose first ``shared_rows`` rows are the first rows of the stored
    series ``base`` (not read: a store keeps them as the parts they are stored in) followed by
    the rows of ``tail``. Its digest is in the result's ``digests`` (computed from per-group
    digests, so the earlier rows need not be hashed again). :meth:`frame` reads it whole."""

    base: StoredSeries
    shared_rows: int
    tail: pd.DataFrame = field(repr=False)

    @property
    def rows(self) -> int:
        return self.shared_rows + len(self.tail)

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.tail.columns]

    def __len__(self) -> int:
        return self.rows

    def frame(self) -> pd.DataFrame:
        """The whole series: the base's first rows (read from the store) and the tail."""
        before = self.base.load().iloc[: self.shared_rows]
        if not len(self.tail):
            return before.reset_index(drop=True)
        return pd.concat([before, self.tail], ignore_index=True)


def series_digest(frame: pd.DataFrame) -> dict[str, Any]:
    """Rows, columns and a sha256 over the column names, dtypes and values of a row-level
    table: it identifies the stored series in the JSON without writing every row there.

    A numeric column is hashed as its bytes; a text (object or string dtype) column as the
    JSON of its values (missing = null): the bytes of an object array are the addresses of its
    Python objects, different in every process, so hashing them made the digest of a series
    with a text column (dQ/dV's ``kind``) change from run to run and ``reproduce`` fail."""
    digest = hashlib.sha256()
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.StringDtype):
            # text: hashed as the JSON of the object array it converts to, made from its runs
            # of equal values without a Python object per value where it is Arrow text
            digest.update(f"{name}:|O:".encode())
            digest.update((_arrow_text_json(column) or _text_json(column)).encode())
            continue
        values = np.ascontiguousarray(column.to_numpy())
        digest.update(f"{name}:{values.dtype.str}:".encode())
        if values.dtype.kind == "O":
            digest.update(_text_json(values).encode())
        else:
            digest.update(values.tobytes())
    return {
        "rows": len(frame),
        "columns": [str(c) for c in frame.columns],
        "sha256": digest.hexdigest(),
    }


#: the digest form of a series hashed per group of rows (:func:`grouped_digest`); a digest
#: entry without ``"digest"`` is :func:`series_digest`'s (the first form, kept as it is)
GROUPED_DIGEST = "labdb.series-digest/2"


def group_digests(frame: pd.DataFrame, by: str) -> list[str]:
    """The sha256 (hex) of each group of rows of ``frame``: a group is a run of rows with the
    same value of column ``by`` (a half-cycle's rows), hashed as :func:`series_digest` hashes
    a whole series (per column, in order: ``name:dtype:`` and the values' bytes, text as the
    JSON of its values). Computed column by column over the whole frame, so a frame of
    thousands of groups costs about what one digest of it costs."""
    if not len(frame):
        return []
    key = frame[by].to_numpy()
    bounds = np.flatnonzero(key[1:] != key[:-1]) + 1
    starts = np.r_[0, bounds].tolist()
    stops = np.r_[bounds, len(key)].tolist()
    digests = [hashlib.sha256() for _ in starts]
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.StringDtype) or column.dtype.kind == "O":
            head = f"{name}:|O:".encode()
            texts = _grouped_text_json(column, starts, stops)
            for digest, text in zip(digests, texts, strict=True):
                digest.update(head)
                digest.update(text.encode())
            continue
        values = np.ascontiguousarray(column.to_numpy())
        head = f"{name}:{values.dtype.str}:".encode()
        for digest, a, b in zip(digests, starts, stops, strict=True):
            digest.update(head)
            digest.update(values[a:b].data)  # a contiguous slice: its bytes, not copied
    return [d.hexdigest() for d in digests]


def _grouped_text_json(column: pd.Series, starts: list[int], stops: list[int]) -> list[str]:
    """:func:`_text_json` of each group ``starts[k]:stops[k]`` of a text column, from the
    column's runs of equal values (a half-cycle's rows are one run)."""
    codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=True)
    labels = list(uniques)
    if not all(type(u) is str for u in labels):  # the per-value form (see _text_json)
        values = column.to_numpy(dtype=object)
        return [_text_json(values[a:b]) for a, b in zip(starts, stops, strict=True)]
    encoded = [*(json.dumps(u) + ", " for u in labels), "null, "]
    cuts = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    run_starts = np.union1d(np.r_[0, cuts], np.asarray(starts)).tolist()
    run_codes = codes[run_starts].tolist()
    run_stops = [*run_starts[1:], len(codes)]
    out, r = [], 0
    for stop in stops:
        pieces = []
        while r < len(run_starts) and run_starts[r] < stop:
            pieces.append(encoded[run_codes[r]] * (run_stops[r] - run_starts[r]))
            r += 1
        out.append("[" + "".join(pieces)[:-2] + "]")
    return out


def compose_digest(digests: Sequence[str]) -> str:
    """The sha256 of a series from its groups' digests (:func:`group_digests`, in order): of
    the text ``labdb.series-digest/2`` and each group's hex digest, one per line."""
    text = GROUPED_DIGEST + "\n" + "".join(d + "\n" for d in digests)
    return hashlib.sha256(text.encode()).hexdigest()


def grouped_digest(
    rows: int, columns: Sequence[str], digests: Sequence[str], by: str
) -> dict[str, Any]:
    """The digest entry of a series in the grouped form (``GROUPED_DIGEST``): rows, columns,
    the composed sha256 (:func:`compose_digest`), the form and the grouping column. Anyone
    can check it from the series alone: cut it into runs of equal ``by``, hash each run as
    :func:`series_digest` hashes a series, compose. A version of a growing file hashes only
    its new groups and takes the earlier groups' digests from the earlier result's memo."""
    return {
        "rows": int(rows),
        "columns": [str(c) for c in columns],
        "sha256": compose_digest(digests),
        "digest": GROUPED_DIGEST,
        "groups": by,
    }


def _text_json(values: npt.NDArray[Any] | pd.Series) -> str:
    """``json.dumps`` of the column's values as text (missing = null). A text column holds a
    few distinct labels (dQ/dV's ``kind``), so each is encoded once and the list is joined
    (``json.dumps`` joins a list's items with ", "), one run of equal labels at a time; the per-value form where a value is not
    text (a number and a label that compare equal would share a code)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    labels = list(uniques)
    if not all(type(u) is str for u in labels):
        return json.dumps([None if pd.isna(v) else str(v) for v in list(values)])
    encoded = [*(json.dumps(u) + ", " for u in labels), "null, "]
    # runs of one label (a half-cycle's rows): each run's items at once
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else codes
    lengths = np.diff(np.r_[starts, len(codes)])
    text = "".join(
        encoded[c] * n for c, n in zip(codes[starts].tolist(), lengths.tolist(), strict=True)
    )
    return "[" + text[:-2] + "]"


def _arrow_text_json(column: pd.Series) -> str | None:
    """:func:`_text_json` of an Arrow-backed text column from its runs of equal values
    (``pyarrow.compute.run_end_encode``: a half-cycle's rows are one run), the same text;
    None when the column is not Arrow text."""
    try:
        data = pa.array(column.array)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None
    chunks = data.chunks if isinstance(data, pa.ChunkedArray) else [data]
    if not all(pa.types.is_string(c.type) or pa.types.is_large_string(c.type) for c in chunks):
        return None
    encoded: dict[str | None, str] = {None: "null, "}
    pieces = []
    for chunk in chunks:
        if not len(chunk):
            continue
        runs = pc.run_end_encode(chunk)
        if len(runs.values) == len(chunk):  # no repeats (a column of digests): one call
            pieces.append(json.dumps(runs.values.to_pylist())[1:-1] + ", ")
            continue
        lengths = np.diff(np.r_[0, runs.run_ends.to_numpy()])
        for value, n in zip(runs.values.to_pylist(), lengths.tolist(), strict=True):
            text = encoded.get(value)
            if text is None:
                text = encoded[value] = json.dumps(value) + ", "
            pieces.append(text * n)
    return "[" + "".join(pieces)[:-2] + "]"
