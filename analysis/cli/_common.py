"""Helpers shared by the command-line modules."""

from __future__ import annotations

import json
import sys
from typing import Any

from analysis.readers import ParseError


def emit_json(payload: Any) -> None:
    """Print ``payload`` as JSON (NaN and infinities become null)."""
    json.dump(_clean(payload), sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def fail(exc: ParseError | ValueError) -> int:
    """Report an input error on stderr and return the exit status for it."""
    print(f"error: {exc}", file=sys.stderr)
    return 2


def _clean(value: Any) -> Any:
    import math

    import numpy as np

    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
