"""A version's result JSON written from the earlier result's JSON (labdb/result_json.py): the
rows that did not change are copied as text, and the bytes are those of encoding it whole."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import pipelines
from analysis.readers import read
from labdb import result_json as result_json_module
from labdb import table_parts
from labdb.provenance import canonical_json
from labdb.result_json import (
    kept_json,
    remember_json,
    result_json,
    table_row_spans,
    written_json,
)
from labdb.services.earlier_rows import same_rows
from tests.labdb.api.test_growing import cycler_file


def _stored(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as the store gives it back (Parquet)."""
    out = io.BytesIO()
    frame.to_parquet(out, index=False)
    out.seek(0)
    return pd.read_parquet(out)


def _cycling(data: bytes, tmp_path: Path) -> pipelines.Result:
    path = tmp_path / "cell.csv"
    path.write_bytes(data)
    pipeline = pipelines.get("cycling")
    return pipeline.run(
        read(path).table, pipeline.validate({"cell_type": "half", "area_cm2": 0.785})
    )


def _two_versions(
    tmp_path: Path, cycles: int, cut: float
) -> tuple[pipelines.Result, pipelines.Result, bytes, dict[str, Any]]:
    """A growing file's earlier version (the first ``cut`` of its bytes) and the whole file,
    analysed whole; the earlier JSON; per table, the later rows equal to the earlier."""
    data = cycler_file(cycles=cycles)
    earlier = _cycling(data[: int(len(data) * cut) + 7], tmp_path)
    later = _cycling(data, tmp_path)
    same = {
        name: found
        for name, frame in later.tables.items()
        if (found := same_rows(frame, _stored(earlier.tables[name]))) is not None
    }
    return earlier, later, canonical_json(earlier.to_json()).encode(), same


def test_a_versions_json_from_the_earlier_json_is_the_whole_encoding(tmp_path: Path) -> None:
    """Two versions of a growing file analysed whole: the later JSON written from the earlier
    one's text (its unchanged cycle and half-cycle rows copied) is byte for byte the JSON
    encoded whole, and most rows were copied."""
    earlier, later, earlier_text, same = _two_versions(tmp_path, 70, 0.9)
    assert set(same) == {"cycles", "half_cycles", "rate_capability"}
    data_json = later.to_json()
    text, copied = result_json(data_json, earlier_text, same)
    assert text == canonical_json(data_json).encode()
    cycles = len(later.tables["cycles"])
    # all but the cycles the new rows changed (the last ones, and what depends on them)
    assert cycles + len(later.tables["half_cycles"]) > copied > cycles
    spans = table_row_spans(earlier_text)
    assert spans is not None
    starts, stops = spans["cycles"]
    assert len(starts) == len(earlier.tables["cycles"])
    first = json.loads(earlier_text[starts[0] : stops[0]])
    assert first == earlier.to_json()["tables"]["cycles"][0]
    # the tables as a job gives them (rows built when asked for): the same text
    lazy = later.to_json(lazy_tables=True)
    assert result_json(lazy, earlier_text, same) == (text, copied)
    assert result_json(lazy) == (text, 0)


def test_a_serving_child_keeps_the_json_it_wrote_with_its_row_spans(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """Where parts are kept (a worker's serving child), the JSON a job wrote is kept with its
    row spans once scanned, and the next version's JSON written from it is the same text."""
    monkeypatch.setattr(table_parts, "_kept_budget", 1 << 20)
    monkeypatch.setattr(result_json_module, "_kept", type(result_json_module._kept)())
    _, later, earlier_text, same = _two_versions(tmp_path, 40, 0.9)
    remember_json("a" * 64, earlier_text)
    assert kept_json("a" * 64) == (earlier_text, None)
    first = result_json(later.to_json(), earlier_text, same, "a" * 64)
    kept = kept_json("a" * 64)
    assert kept is not None and kept[1] is not None  # scanned once, kept
    assert set(kept[1]) == {"cycles", "half_cycles", "rate_capability"}
    again = result_json(later.to_json(), earlier_text, same, "a" * 64)
    assert again == first and first[0] == canonical_json(later.to_json()).encode()
    for k in range(result_json_module.KEPT_JSONS):
        remember_json(f"{k:064x}", b"{}")
    assert kept_json("a" * 64) is None  # the oldest goes first


def test_rows_are_found_whatever_the_text_in_strings_holds() -> None:
    """Braces, brackets, quotes, backslashes and even the text of a ``"tables":`` key inside
    strings, rows holding lists and objects, a table with no rows: the rows are where the
    structure says, and the text is the whole encoding's."""
    tricky = 'a "q" \\ back}{ [x] ],[{ "tables":{"t":[{'
    before: dict[str, Any] = {
        "kind": "x",
        "summary": {"note": tricky, "tables": [{"not": "a table"}]},
        "tables": {
            "empty": [],
            "rows": [
                {"i": i, "label": tricky if i % 3 else f"r{i}", "list": [i, [i, {"k": "}"}]]}
                for i in range(100)
            ],
        },
        "warnings": [tricky, "\\"],
    }
    spans = table_row_spans(canonical_json(before).encode())
    assert spans is not None
    text = canonical_json(before).encode()
    starts, stops = spans["rows"]
    assert [json.loads(text[a:b]) for a, b in zip(starts, stops, strict=True)] == before["tables"][
        "rows"
    ]
    assert len(spans["empty"][0]) == 0
    after = {**before, "tables": {**before["tables"], "rows": before["tables"]["rows"] + [{}]}}
    mask = np.ones(100, dtype=bool)
    mask[[0, 50, 99]] = False  # rows encoded again, the others copied
    out, copied = result_json(after, text, {"rows": (mask, 100)})
    assert out == canonical_json(after).encode() and copied == 97
    _spans_as_scanned(after, text, {"rows": (mask, 100)})


def _spans_as_scanned(data: Any, earlier: bytes, same: Any) -> None:
    """The row spans ``written_json`` gives with the text it wrote are a scan's of it."""
    text, _, spans = written_json(data, earlier, same)
    scanned = table_row_spans(text)
    assert spans is not None and scanned is not None and set(spans) == set(scanned)
    for name, (starts, stops) in scanned.items():
        assert starts.tolist() == spans[name][0].tolist()
        assert stops.tolist() == spans[name][1].tolist()


def test_the_json_written_comes_with_its_row_spans(tmp_path: Path) -> None:
    """The spans of a JSON written from an earlier one (copied runs moved, encoded rows
    measured) are where a scan of the text finds the rows, in every table; a JSON encoded
    whole has none (it is scanned when the next version needs them)."""
    _, later, earlier_text, same = _two_versions(tmp_path, 50, 0.8)
    _spans_as_scanned(later.to_json(lazy_tables=True), earlier_text, same)
    some = {name: (mask & (np.arange(len(mask)) % 7 != 3), n) for name, (mask, n) in same.items()}
    _spans_as_scanned(later.to_json(), earlier_text, some)  # runs broken by rows encoded
    assert written_json(later.to_json())[2] is None


def test_an_earlier_json_that_does_not_line_up_is_not_used() -> None:
    """Rows said to be the same but whose earlier text is another row's (a table of another
    length, a shifted table), or a text that is not a result's: the JSON is encoded whole,
    the same bytes."""
    rows = [{"cycle": i, "ce": 0.9 + i / 1000} for i in range(80)]
    data = {"kind": "cycling", "tables": {"cycles": rows}}
    shifted = canonical_json({"kind": "cycling", "tables": {"cycles": rows[1:] + rows[:1]}})
    all_same = (np.ones(80, dtype=bool), 80)
    assert result_json(data, shifted.encode(), {"cycles": all_same}) == (
        canonical_json(data).encode(),
        0,
    )
    shorter = canonical_json({"kind": "cycling", "tables": {"cycles": rows[:79]}}).encode()
    assert result_json(data, shorter, {"cycles": all_same})[1] == 0
    assert table_row_spans(b'["not", "a result"]') is None
    assert table_row_spans(b'{"kind":"x","tables":{"cycles":{"1":2}}}') is None
    assert result_json(data, b"[]", {"cycles": all_same}) == (canonical_json(data).encode(), 0)


def test_rows_are_the_same_when_their_json_is() -> None:
    """``same_rows`` compares as the JSON shows the values: nullable integers, booleans and
    floats with missing values (missing equal to missing, and to NaN: both are null), 0.0 not
    -0.0, integers past 2**53 exactly, text as text; another dtype is nothing the same."""
    before = pd.DataFrame(
        {
            "n": pd.array([1, None, 3, 2**60, 5], dtype="Int64"),
            "ok": pd.array([True, None, False, True, True], dtype="boolean"),
            "x": pd.array([0.0, None, 1.5, 2.0, 3.0], dtype="Float64"),
            "kind": pd.array(["a", None, "b", "c", "d"], dtype="str"),
        }
    )
    now = before.copy()
    now.loc[2, "n"] = 4
    now.loc[3, "n"] = 2**60 + 1
    now.loc[0, "x"] = -0.0
    now.loc[4, "kind"] = "e"
    found = same_rows(now, _stored(before))
    assert found is not None
    assert found[0].tolist() == [False, True, False, False, False] and found[1] == 5
    assert same_rows(before, _stored(before)) is not None
    assert same_rows(before.astype({"n": "float64"}), _stored(before)) is None
