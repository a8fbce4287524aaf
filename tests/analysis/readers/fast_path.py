"""Reading a file both ways, for the tests of the readers' typed fast path: as the reader does
(the typed read first) and by the general path (forced by hiding the header from the fast
path), with which of the two the first read took."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.readers import _text as text_module
from analysis.readers import read

#: after :func:`both_ways`: [True] when the typed read succeeded, [False] for the general path
fast_path_taken: list[bool] = []


def both_ways(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    typed: list[bool] = []
    plain = text_module.read_table

    def spy(*args: object, **kwargs: object) -> object:
        result = plain(*args, **kwargs)  # type: ignore[arg-type]
        typed.append(bool(kwargs.get("column_types")))
        return result

    with monkeypatch.context() as patch:
        patch.setattr(text_module, "read_table", spy)
        fast = read(path)
    fast_path_taken.clear()
    fast_path_taken.extend(typed)
    with monkeypatch.context() as patch:
        patch.setattr(text_module, "header_names", lambda *a, **k: [])
        general = read(path)
    return fast, general


def assert_same(fast: object, general: object) -> None:
    pd.testing.assert_frame_equal(fast.table, general.table, check_exact=True)  # type: ignore[attr-defined]
    assert fast.warnings == general.warnings  # type: ignore[attr-defined]
    assert dict(fast.metadata) == dict(general.metadata)  # type: ignore[attr-defined]
