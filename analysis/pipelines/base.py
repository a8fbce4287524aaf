"""The shape every analysis pipeline shares.

A pipeline is ``run(table, params, progress=None) -> Result``: ``table`` is a reader's canonical
table, ``params`` the pipeline's frozen parameter object (:mod:`analysis.params`), ``progress``
an optional callback given the fraction done (pretix's ``set_progress``: the science never
imports the job machinery).

:class:`Result` holds a JSON-ready ``summary``, named ``tables`` (DataFrames small enough to be
written into the JSON as records) and ``series`` (row-level DataFrames such as voltage-profile
curves, stored as Parquet and named in the JSON by a digest of their values).
:meth:`Result.to_json` is the single serialised form: the command line prints it, the job
stores and hashes it, tests compare it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from analysis.serial import jsonable, records

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

#: ``progress(fraction)``: fraction of the work done, 0..1.
Progress = Callable[[float], None]


@dataclass(frozen=True)
class Result:
    """What a pipeline returns (see the module docstring)."""

    kind: str
    parameters: Mapping[str, Any]
    summary: Mapping[str, Any]
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    series: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    #: the science object the pipeline computed (CyclingResult, a list of spectra, ...), for
    #: callers that format it (the command line's text output); not serialised
    detail: Any = field(default=None, repr=False, compare=False)
    #: how much of an earlier version's analysis was reused (``previous=`` of a pipeline that
    #: can grow: cycling), e.g. ``{"reused": 812, "computed": 9}``; not serialised: the result
    #: is the same as a full analysis's
    reuse: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)
    #: per table or series: how many of its first rows are the first rows of the same-named
    #: output of the earlier analysis it was given (``previous=``), so a store can keep those
    #: stored rows as they are without comparing them; not serialised
    shared_rows: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The one serialised form: JSON-ready (NaN and infinities as null)."""
        return {
            "kind": self.kind,
            "parameters": jsonable(dict(self.parameters)),
            "summary": jsonable(dict(self.summary)),
            "tables": {name: records(frame) for name, frame in self.tables.items()},
            "series": {name: series_digest(frame) for name, frame in self.series.items()},
            "warnings": list(self.warnings),
        }


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
        lengths = np.diff(np.r_[0, runs.run_ends.to_numpy()])
        for value, n in zip(runs.values.to_pylist(), lengths.tolist(), strict=True):
            text = encoded.get(value)
            if text is None:
                text = encoded[value] = json.dumps(value) + ", "
            pieces.append(text * n)
    return "[" + "".join(pieces)[:-2] + "]"


def report(progress: Progress | None, fraction: float) -> None:
    """Call ``progress`` (if given) with ``fraction`` clipped to 0..1."""
    if progress is not None:
        progress(min(1.0, max(0.0, fraction)))
