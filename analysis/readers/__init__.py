"""Instrument file readers: one module per format, discovered and registered automatically.

Use :func:`read` to parse a file into its canonical table (see :mod:`analysis.readers.base`).
"""

from analysis.readers.base import (
    Parsed,
    ParseError,
    ReaderSpec,
    ReadResult,
    detect,
    read,
    register,
    registry,
)

__all__ = [
    "ParseError",
    "Parsed",
    "ReadResult",
    "ReaderSpec",
    "detect",
    "read",
    "register",
    "registry",
]
