"""CSV cells that a spreadsheet shows as text, never evaluates (CSV / formula injection).

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken by
Excel, LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)`` sends data away,
``=cmd|...`` ran programs in old Excel). OWASP's rule ("CSV Injection",
https://owasp.org/www-community/attacks/CSV_Injection): prefix such a cell with a single quote,
which the spreadsheet shows as text. A value that is a plain number (``-0.25``, ``1e-3``) is
left alone, so numbers stay numbers; numbers and None are never changed.
Every CSV labdb writes with user text in it goes through :func:`neutralise`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value) and text.strip() == text


def neutralise(value: Any) -> Any:
    """``value`` for a CSV cell: text that a spreadsheet would evaluate gets a leading ``'``.

    Numbers and None are returned as they are; any other object is written as its text (as
    the csv module would), neutralised."""
    if value is None or isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def safe_row(values: Iterable[Any]) -> list[Any]:
    """A CSV row with every cell neutralised (for ``csv.writer.writerow``)."""
    return [neutralise(v) for v in values]
