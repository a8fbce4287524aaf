"""The digest naming a stored series in a result's JSON depends on the values only, also for
a text column (dQ/dV's ``kind``): before, it hashed the addresses of the Python strings, so
the same analysis gave another output sha256 in every process and ``reproduce`` failed."""

from __future__ import annotations

import pandas as pd

from analysis.pipelines.base import series_digest


def _frame(kinds: list[str]) -> pd.DataFrame:
    # new string objects each call (not the interned literals): other addresses, same text
    text = ["".join(list(k)) for k in kinds]
    return pd.DataFrame(
        {
            "half_cycle": [1, 2, 3],
            "kind": pd.array(text, dtype="string"),
            "note": pd.Series([*text[:2], None], dtype=object),
            "voltage_V": [0.1, 0.2, 0.3],
        }
    )


def test_a_text_column_is_hashed_by_its_values() -> None:
    kinds = ["charge", "discharge", "charge"]
    a, b = _frame(kinds), _frame(kinds)
    assert a["kind"].iloc[0] is not b["kind"].iloc[0]  # really other objects
    assert series_digest(a) == series_digest(b)
    other = series_digest(_frame(["charge", "discharge", "discharge"]))
    assert other["sha256"] != series_digest(a)["sha256"]
    assert series_digest(a)["columns"] == ["half_cycle", "kind", "note", "voltage_V"]


def test_a_numeric_column_is_still_hashed_by_its_bytes() -> None:
    """The digest of an all-numeric series (every cycling series) is the one stored before."""
    import hashlib

    import numpy as np

    frame = pd.DataFrame({"cycle": [1, 2], "v": [0.5, 0.25]})
    digest = hashlib.sha256()
    for name in frame.columns:
        values = np.ascontiguousarray(frame[name].to_numpy())
        digest.update(f"{name}:{values.dtype.str}:".encode() + values.tobytes())
    assert series_digest(frame)["sha256"] == digest.hexdigest()


def test_a_text_column_is_hashed_as_the_json_of_its_values_as_before() -> None:
    """Run-at-a-time encoding (dQ/dV's ``kind`` of every row) gives the digest stored by the
    per-value form: the JSON list of the values as text, missing as null, whatever mix of
    labels, missing values, runs and non-text objects the column holds."""
    import hashlib
    import json

    import numpy as np

    rng = np.random.default_rng(5)
    columns = [
        np.array(["charge"] * 40 + ["discharge"] * 25 + [None] * 3 + ["charge"] * 2, dtype=object),
        rng.choice(np.array(["a", 'b "quoted"', "é", None, np.nan], dtype=object), 500),
        np.array([1, "1", None, 2.5], dtype=object),  # not all text: per value
        np.array([None, None], dtype=object),
        np.array([], dtype=object),
    ]
    for values in columns:
        digest = hashlib.sha256(b"kind:|O:")
        text = [None if pd.isna(v) else str(v) for v in values.tolist()]
        digest.update(json.dumps(text).encode())
        frame = pd.DataFrame({"kind": values})
        assert series_digest(frame)["sha256"] == digest.hexdigest(), values[:6]


def test_an_arrow_text_column_has_the_digest_of_the_same_text_as_objects() -> None:
    """The digest of a text column read back from Parquet (Arrow text, hashed from its labels
    without a Python object per value) is the one of the same values as an object array, as
    every stored result's JSON has it; a missing value included."""
    values = ["charge", "discharge", None, "charge", "charge"]
    arrow = pd.DataFrame({"kind": pd.array(values, dtype="str"), "x": range(5)})
    objects = pd.DataFrame({"kind": pd.Series(values, dtype=object), "x": range(5)})
    assert isinstance(arrow["kind"].dtype, pd.StringDtype) and objects["kind"].dtype == object
    assert series_digest(arrow) == series_digest(objects)
    assert series_digest(arrow) != series_digest(objects.assign(kind=values[::-1]))


def test_the_grouped_digest_is_its_groups_digests_and_changes_with_any_value() -> None:
    """The grouped form (labdb.series-digest/2): each run of equal ``half_cycle`` hashed as a
    whole series is, composed in order; one changed value, a moved group boundary or
    reordered groups give another digest."""
    from analysis.series import compose_digest, group_digests

    frame = pd.DataFrame(
        {
            "half_cycle": [1, 1, 2, 2, 2, 4],
            "kind": pd.array(["plating"] * 2 + ["stripping"] * 3 + [None], dtype="string"),
            "voltage_V": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        }
    )
    groups = group_digests(frame, "half_cycle")
    assert groups == [
        series_digest(frame.iloc[a:b].reset_index(drop=True))["sha256"]
        for a, b in ((0, 2), (2, 5), (5, 6))
    ]
    composed = compose_digest(groups)
    changed = frame.copy()
    changed.loc[3, "voltage_V"] = 0.41
    moved = frame.assign(half_cycle=[1, 1, 1, 2, 2, 4])
    assert compose_digest(group_digests(changed, "half_cycle")) != composed
    assert compose_digest(group_digests(moved, "half_cycle")) != composed
    assert compose_digest(groups[::-1]) != composed
    assert compose_digest(group_digests(frame.iloc[:0], "half_cycle")) == compose_digest([])
