"""Which rows of a version's result are the earlier version's: the comparisons a store makes
so that it keeps, copies or refers to what did not change (docs/live.md, "Growing data on the
server").

Rows are compared as the result's JSON and Parquet show them: same columns and dtypes, floats
bit for bit (0.0 is not -0.0), any NaN equal to any NaN and missing equal to missing (both
null), text as text. What a row equal to an earlier one gets: its CycleResult row shared
(:func:`unchanged_cycles`, :mod:`labdb.models.cycle_rows`), its JSON text copied (:mod:`labdb.result_json`), its stored part
kept (:func:`common_rows`, :func:`leading_rows`).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.serial import jsonable, same_floats
from labdb.result_json import SameRows
from labdb.storage import BlobCorrupt
from labdb.table_parts import read_table


def earlier_table(sha256: str) -> pd.DataFrame | None:
    """The stored table ``sha256`` of the earlier result, verified; None when unreadable."""
    try:
        return read_table(sha256, verify=True)
    except (BlobCorrupt, OSError, ValueError):
        return None


def same_rows(frame: pd.DataFrame, before: pd.DataFrame) -> SameRows | None:
    """Which first rows of ``frame`` equal the row at the same place of the earlier result's
    table ``before`` (over the rows both have), and how many rows ``before`` has: same columns
    and dtypes, every value the same (floats bit for bit but any NaN equal to any NaN, as both
    are null in the JSON; missing equal to missing), so that the row's JSON is the earlier
    row's. None when the tables cannot be compared (other columns or dtypes)."""
    if list(before.columns) != list(frame.columns):
        return None
    n = min(len(before), len(frame))
    same = np.ones(n, dtype=bool)
    for name in frame.columns:
        x, y = frame[name].iloc[:n], before[name].iloc[:n]
        if x.dtype != y.dtype:
            return None
        same &= _same_values(x, y)
    return same, len(before)


def unchanged_cycles(
    cycles: pd.DataFrame, earlier: str | pd.DataFrame, same: SameRows | None = None
) -> tuple[int, ...]:
    """The ``cycle`` of each row of the per-cycle table ``cycles`` that equals the row at
    the same place of the earlier result's per-cycle table ``earlier`` (stored under that
    sha256, or read already) (:func:`same_rows`; ``same``: its answer when already known), so
    that its CycleResult row is the earlier one's. Empty when the tables cannot be compared
    (other columns, repeated cycle numbers, unreadable)."""
    before = earlier_table(earlier) if isinstance(earlier, str) else earlier
    if before is None or "cycle" not in cycles.columns or "cycle" not in before.columns:
        return ()
    numbers = cycles["cycle"].to_numpy()
    if len(set(numbers.tolist())) != len(numbers) or not before["cycle"].is_unique:
        return ()
    found = same if same is not None else same_rows(cycles, before)
    if found is None:
        return ()
    mask = found[0]
    return tuple(int(c) for c in numbers[: len(mask)][mask].tolist())


def _same_values(x: pd.Series, y: pd.Series) -> npt.NDArray[np.bool_]:
    """Row by row: the same value, as the JSON of the row shows it (see
    :func:`same_rows`)."""
    if isinstance(x.dtype, np.dtype) and x.dtype.kind == "f":
        return same_floats(x.to_numpy(), y.to_numpy())
    if isinstance(x.dtype, np.dtype) and x.dtype.kind in "iub":
        return np.asarray(x.to_numpy() == y.to_numpy(), dtype=bool)
    kind = getattr(x.dtype, "kind", "O")
    if kind == "f":  # a nullable float: missing and NaN are both null in the JSON
        return _same_values(
            pd.Series(x.to_numpy(dtype=np.float64, na_value=np.nan)),
            pd.Series(y.to_numpy(dtype=np.float64, na_value=np.nan)),
        )
    numpy_dtype = getattr(x.dtype, "numpy_dtype", None)
    if kind in "iub" and numpy_dtype is not None:  # nullable integers and booleans
        na_x, na_y = x.isna().to_numpy(dtype=bool), y.isna().to_numpy(dtype=bool)
        fill = numpy_dtype.type(0)
        a = x.fillna(fill).to_numpy(dtype=numpy_dtype)
        b = y.fillna(fill).to_numpy(dtype=numpy_dtype)
        return np.asarray((na_x & na_y) | (~na_x & ~na_y & (a == b)), dtype=bool)
    if isinstance(x.dtype, pd.StringDtype):  # text or missing: equal texts, or both missing
        missing = x.isna().to_numpy(dtype=bool) & y.isna().to_numpy(dtype=bool)
        equal = (x.reset_index(drop=True) == y.reset_index(drop=True)).fillna(False)
        return np.asarray(equal.to_numpy(dtype=bool) | missing, dtype=bool)
    left, right = x.astype(object).tolist(), y.astype(object).tolist()
    return np.array(
        [
            # text as text (the usual case: a label); anything else as its JSON
            a == b
            if type(a) is str and type(b) is str
            else json.dumps(jsonable(a), sort_keys=True) == json.dumps(jsonable(b), sort_keys=True)
            for a, b in zip(left, right, strict=True)
        ],
        dtype=bool,
    )


def leading_rows(same: SameRows | None) -> int:
    """How many first rows are the earlier table's (a table's first rows that
    :func:`same_rows` found equal: a store keeps them as the earlier table's parts)."""
    if same is None or not len(same[0]):
        return 0
    mask = same[0]
    return len(mask) if mask.all() else int(np.argmin(mask))


def common_rows(frame: pd.DataFrame, earlier: pa.Table) -> int:
    """How many first rows ``frame`` and the stored table ``earlier`` share: the same column
    names, the same values (NaN equal to NaN, 0.0 not -0.0; text compared as text, missing
    equal to missing); 0 when the columns differ. Numeric columns are compared first, text columns
    only over the rows still shared (text is the slow part)."""
    if [str(c) for c in frame.columns] != earlier.column_names:
        return 0
    same = min(len(frame), earlier.num_rows)
    text = [c for c in frame.columns if frame[c].dtype.kind not in "biufcmM"]
    for name in [c for c in frame.columns if c not in text] + text:
        x = frame[name].to_numpy()[:same]
        column = earlier.column(str(name)).slice(0, same)
        if name in text:
            try:  # text as text: string and large_string alike
                ours = pa.array(x, from_pandas=True).cast(column.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                return 0
            equal = pc.fill_null(pc.equal(ours, column), False)
            both_null = pc.and_(pc.is_null(ours), pc.is_null(column))
            ok = pc.or_(equal, both_null).to_numpy(zero_copy_only=False)
        else:
            y = column.to_numpy()
            if x.dtype != y.dtype:
                return 0
            ok = _equal_numbers(x, y)
        bad = np.flatnonzero(~np.asarray(ok, dtype=bool))
        if bad.size:
            same = int(bad[0])
    return same


def _equal_numbers(x: npt.NDArray[Any], y: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """Element by element: the same number (NaN equal to NaN; 0.0 not -0.0, which Parquet
    and the JSON keep apart)."""
    if x.dtype.kind == "f":
        return same_floats(x, y)
    if x.dtype.kind == "c":
        return np.asarray((x == y) | (np.isnan(x) & np.isnan(y)), dtype=bool)
    return np.asarray(x == y, dtype=bool)
