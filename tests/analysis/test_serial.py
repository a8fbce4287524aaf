"""The JSON-ready rows of a result's tables (``records``) and ``num``: the fast paths give
exactly what the generic conversion gives, value and type."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analysis.serial import LazyRecords, column_of, jsonable, num, records


def _typed(rows: list[dict[str, Any]]) -> list[list[tuple[type, Any]]]:
    return [[(type(v), v) for v in row.values()] for row in rows]


def test_records_equal_jsonable_of_every_value_with_the_same_types() -> None:
    frame = pd.DataFrame(
        {
            "cycle": np.array([1, 2, 3], dtype=np.int64),
            "complete": np.array([True, False, True]),
            "ce": [0.98, float("nan"), float("inf")],
            "zero": [-0.0, 0.0, np.float32(1.5)],
            "count": np.array([1, 2, 3], dtype=np.uint16),
            "kind": pd.array(["plating", None, "stripping"], dtype="string"),
            "short": pd.array([None, 12, None], dtype="Int64"),
            "mixed": pd.Series(["text", np.str_("numpy text"), np.float64("nan")], dtype=object),
            "objects": pd.Series([np.int64(4), None, 2.5], dtype=object),
            "flags": pd.Series([True, np.bool_(False), 7], dtype=object),
        }
    )
    expected = [
        {str(c): jsonable(frame[c].astype(object).iloc[i]) for c in frame.columns}
        for i in range(len(frame))
    ]
    got = records(frame)
    assert got == expected
    assert _typed(got) == _typed(expected)
    assert got[1]["kind"] is None and got[1]["ce"] is None and got[2]["ce"] is None
    assert type(got[1]["mixed"]) is str and got[1]["mixed"] == "numpy text"
    assert got[2]["mixed"] is None and got[0]["short"] is None and got[1]["short"] == 12
    assert type(got[0]["objects"]) is int and type(got[1]["flags"]) is bool
    # the same rows built one at a time, when asked for: a row before any column is
    # converted whole (plain numpy values one by one), then the columns
    fresh = LazyRecords(frame)
    rows = [fresh[i] for i in range(3)]
    assert rows == got and _typed(rows) == _typed(got)
    assert math.copysign(1.0, rows[0]["zero"]) == -1.0 and type(rows[2]["zero"]) is float
    lazy = LazyRecords(frame)
    assert len(lazy) == 3 and list(lazy) == got and _typed(list(lazy)) == _typed(got)
    assert [lazy[i] for i in range(3)] == got and lazy[-1] == got[2] and lazy[1:] == got[1:]
    assert lazy == got and column_of(lazy, "short") == [None, 12, None]
    assert column_of(got, "short") == [None, 12, None] and column_of(lazy, "none") == [None] * 3
    assert list(LazyRecords(pd.DataFrame(index=range(2)))) == [{}, {}]


def test_single_rows_of_text_and_nullable_columns_then_whole_columns() -> None:
    """Rows asked for one by one, each value of a text, nullable or categorical column
    converted on its own (from the column as ``object``), then the column converted whole:
    the same values and types as ``records`` either way."""
    n = 200
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "kind": pd.array(rng.choice(["plating", "stripping", None], n), dtype="string"),
            "short": pd.array(np.where(rng.random(n) < 0.3, None, rng.integers(0, 9, n)), "Int64"),
            "ok": pd.array(np.where(rng.random(n) < 0.2, None, rng.random(n) < 0.5), "boolean"),
            "step": pd.Categorical(rng.choice(["CC", "CV", "rest"], n)),
            "ce": np.where(rng.random(n) < 0.1, np.nan, rng.random(n)),
        }
    )
    expected = records(frame)
    lazy = LazyRecords(frame)
    order = rng.permutation(n).tolist()
    got = {i: lazy[i] for i in order}
    assert [got[i] for i in range(n)] == expected
    assert _typed([got[i] for i in range(n)]) == _typed(expected)
    assert all(column is None for column in lazy._columns)  # no column converted whole
    assert list(lazy) == expected and _typed(list(lazy)) == _typed(expected)


def test_num_of_floats_and_everything_else() -> None:
    assert num(1.5) == 1.5 and num(-0.0) == 0.0 and math.copysign(1, num(-0.0) or 1) == 1
    assert num(float("nan")) is None and num(float("-inf")) is None
    assert num(np.float64(2.5)) == 2.5 and type(num(np.float64(2.5))) is float
    assert num(np.float64("nan")) is None
    assert num(3) == 3.0 and num("4.5") == 4.5 and num("x") is None
    assert num(True) is None and num(None) is None and num([1]) is None
