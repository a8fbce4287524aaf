"""JSON-ready values from numpy and pandas (NaN and infinities become null, numpy scalars and
arrays become Python numbers and lists), and the comparison of two results in that form.

The same pipeline on the same table gives the same JSON up to the last bits of floating point:
numpy's vectorised loops (complex arithmetic, powers) take slightly different paths depending
on where in memory an array starts, and an optimiser that stops on a relative change of 1e-12
can then take one evaluation more or less. :func:`differences` therefore compares floats to
1e-9 relative and leaves out the optimiser's evaluation count; everything else (structure,
texts, flags, counts, the circuits chosen) must be equal.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd


def num(value: Any) -> float | None:
    """A finite float, else None (None, booleans, text that is no number, NaN and infinities)."""
    if type(value) is float:  # the common case (a JSON number), without the generic path
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-ready dicts (column by column: numbers are converted by
    numpy's ``tolist``, non-finite floats then set to None; other columns value by value)."""
    if not len(frame.columns):
        return [{} for _ in range(len(frame))]
    names = [str(c) for c in frame.columns]
    columns = [_column_values(frame.iloc[:, i]) for i in range(len(names))]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


class LazyRecords(Sequence[dict[str, Any]]):
    """The rows of a frame as :func:`records` gives them, each dict built only when a row is
    asked for: a version of a growing file copies most rows of its result's JSON as text from
    the earlier result's (``labdb.result_json``) and never needs them as dicts. A column is
    converted as :func:`records` converts it when it is first asked for whole (:meth:`column`,
    iteration); a single row takes each value on its own, converted by the same rule
    (:meth:`_value`). ``list(lazy) == records(frame)``."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame
        self._names = [str(c) for c in frame.columns]
        self._columns: list[list[Any] | None] = [None] * len(self._names)
        self._arrays: dict[int, npt.NDArray[Any]] = {}
        self._rows = len(frame)

    def _column(self, j: int) -> list[Any]:
        values = self._columns[j]
        if values is None:
            values = self._columns[j] = _column_values(self._frame.iloc[:, j])
        return values

    def _value(self, j: int, i: int) -> Any:
        """Row ``i`` of column ``j`` as :func:`records` gives it: from the column converted
        whole once it is, else the one value converted as the whole column would convert it
        (a plain numpy column by ``item``; another, such as text or nullable numbers, from its
        values as ``object``, taken once, by :func:`_ready`'s rule)."""
        if self._columns[j] is None:
            if j not in self._arrays:
                series = self._frame.iloc[:, j]
                plain = isinstance(series.dtype, np.dtype) and series.dtype.kind in "iubf"
                self._arrays[j] = series.to_numpy() if plain else series.astype(object).to_numpy()
            array = self._arrays[j]
            if array.dtype.kind != "O":
                value = array[i].item()
                return None if array.dtype.kind == "f" and not math.isfinite(value) else value
            value = array[i]
            return value if type(value) in _READY else jsonable(value)
        return self._column(j)[i]

    def __len__(self) -> int:
        return self._rows

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._rows))]
        if index < 0:
            index += self._rows
        if not 0 <= index < self._rows:
            raise IndexError(index)
        return {name: self._value(j, index) for j, name in enumerate(self._names)}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        names = self._names
        if not names:
            return ({} for _ in range(self._rows))
        columns = [self._column(j) for j in range(len(names))]
        return (dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True))

    def column(self, name: str) -> list[Any]:
        """The JSON-ready values of column ``name`` (ValueError when there is none)."""
        return self._column(self._names.index(name))

    def array(self, name: str) -> npt.NDArray[Any] | None:
        """Column ``name`` as the frame holds it when that is a plain numpy array of numbers
        or booleans (the frame's own, not to be written to); None for another dtype (text,
        pandas' nullable ones), and ValueError when there is no such column."""
        series = self._frame.iloc[:, self._names.index(name)]
        if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iubf":
            return series.to_numpy()
        return None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


def column_of(rows: Sequence[Mapping[str, Any]], name: str) -> list[Any]:
    """Column ``name`` of records (None where a row has no such key): taken as it is from
    :class:`LazyRecords` that have it, else row by row."""
    if isinstance(rows, LazyRecords):
        try:
            return rows.column(name)
        except ValueError:
            return [None] * len(rows)
    return [r.get(name) for r in rows]


def same_floats(
    a: npt.NDArray[np.floating[Any]], b: npt.NDArray[np.floating[Any]]
) -> npt.NDArray[np.bool_]:
    """Element by element: the same float as the JSON (and ``repr``) writes it: equal values
    of the same sign (0.0 is not -0.0), or both NaN (any NaN is ``null``, ``nan``)."""
    return np.asarray(
        ((a == b) & (np.signbit(a) == np.signbit(b))) | (np.isnan(a) & np.isnan(b)), dtype=bool
    )


def column_array(rows: Sequence[Mapping[str, Any]], name: str) -> npt.NDArray[Any] | None:
    """Column ``name`` of :class:`LazyRecords` as a numpy array of numbers or booleans, when
    the frame holds it so (:meth:`LazyRecords.array`; not to be written to); None for records,
    a missing column or another dtype: then :func:`column_of` gives the values."""
    if isinstance(rows, LazyRecords):
        try:
            return rows.array(name)
        except ValueError:
            return None
    return None


def _column_values(series: pd.Series) -> list[Any]:
    """A column's values as :func:`jsonable` makes them, vectorised for plain numpy dtypes."""
    if not isinstance(series.dtype, np.dtype):  # pandas' nullable and extension dtypes
        return _ready(series)
    values = series.to_numpy()
    if values.dtype.kind in "iub":
        out: list[Any] = values.tolist()
        return out
    if values.dtype.kind == "f":
        out = values.tolist()
        for i in np.flatnonzero(~np.isfinite(values)).tolist():
            out[i] = None
        return out
    return _ready(series)


#: types :func:`jsonable` returns unchanged (exact types: not subclasses such as numpy's)
_READY = frozenset({str, bool, int, type(None)})


def _ready(series: pd.Series) -> list[Any]:
    """:func:`jsonable` of each value, the values already JSON-ready (text, flags, ints,
    None: most of a text column's) taken as they are without its checks."""
    return [v if type(v) in _READY else jsonable(v) for v in series.astype(object).to_numpy()]


def jsonable(value: Any) -> Any:
    """``value`` with NaN/Inf as ``None`` and numpy types as Python types, recursively."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


#: diagnostics of the optimiser's path, not results
PATH_DIAGNOSTICS = frozenset({"n_evaluations"})


def differences(a: Any, b: Any, path: str = "$") -> list[str]:
    """Where two results in JSON form differ (empty when they are the same result)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))}"]
        return [
            d
            for k in a
            if k not in PATH_DIAGNOSTICS
            for d in differences(a[k], b[k], f"{path}.{k}")
        ]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} != {len(b)} items"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{path}[{i}]")
        ]
    if isinstance(a, float) and isinstance(b, float):
        same = math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
        return [] if same else [f"{path}: {a!r} != {b!r}"]
    return [] if a == b and type(a) is type(b) else [f"{path}: {a!r} != {b!r}"]
