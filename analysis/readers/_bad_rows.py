"""The rows pyarrow's CSV parser finds malformed, kept for the error that names them
(:func:`analysis.readers._text.read_table`)."""

from __future__ import annotations

import sys
from typing import Any


class BadRows:
    """pyarrow's invalid-row handler: keeps each malformed row's text (``rows``) and skips it.

    pyarrow decodes the row's bytes as UTF-8 before it calls the handler; a row with other bytes
    (a Latin-1 file guessed as UTF-8 from its first block, a corrupted file) fails there, inside
    pyarrow, which reports the ``UnicodeDecodeError`` as "Exception ignored" on stderr and stops
    the parse with ``ArrowInvalid``. The hook of :func:`keep_undecodable_rows` keeps such rows'
    bytes in ``undecodable`` instead, so that the error names the row and nothing is printed.
    """

    def __init__(self, rows: list[str]) -> None:
        self.rows = rows
        self.undecodable: list[bytes] = []

    def __call__(self, row: Any) -> str:
        self.rows.append(str(row.text))
        return "skip"


def keep_undecodable_rows() -> None:
    """Install (once, in front of the hook in place) the ``sys.unraisablehook`` that gives a
    :class:`BadRows` handler the bytes pyarrow could not decode for it; every other unraisable
    exception goes to the previous hook unchanged."""
    previous = sys.unraisablehook
    if getattr(previous, "_labdb_bad_rows", False):
        return

    def hook(unraisable: Any) -> None:
        handler, exc = unraisable.object, unraisable.exc_value
        if isinstance(handler, BadRows) and isinstance(exc, UnicodeDecodeError):
            handler.undecodable.append(bytes(exc.object))
            return
        previous(unraisable)

    hook._labdb_bad_rows = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook
