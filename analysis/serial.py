"""JSON-ready values from numpy and pandas: NaN and infinities become null, numpy scalars and
arrays become Python numbers and lists."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-ready dicts."""
    columns = {str(c): frame[c].astype(object).to_numpy() for c in frame.columns}
    return [
        {name: jsonable(values[i]) for name, values in columns.items()} for i in range(len(frame))
    ]


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
