"""The first lines of a text export: its encoding, byte-order mark, header line, delimiter
and decimal separator, sniffed before :mod:`analysis.readers._text` parses the table."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path


def guess_encoding(head: bytes) -> str:
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sniffed block is still UTF-8.
        if exc.start >= len(head) - 3:
            return "utf-8"
        return "latin-1"


def head_lines(path: Path, n_bytes: int = 256 * 1024) -> tuple[list[str], str]:
    with path.open("rb") as fh:
        head = fh.read(n_bytes)
    if head.startswith(BOM):
        head = head[len(BOM) :]
    enc = guess_encoding(head)
    return head.decode(enc, errors="replace").splitlines(), enc


#: The UTF-8 byte-order mark some Windows exports start with (Excel's "CSV UTF-8").
BOM = b"\xef\xbb\xbf"


def decimal_comma_likely(lines: Sequence[str], delimiter: str) -> bool:
    """Whether the data ``lines`` write numbers with a decimal comma (``3,7052``): only with a
    delimiter other than the comma, and when such numbers are there and ``3.7052`` is not."""
    if delimiter == ",":
        return False
    sample = [ln for ln in lines[:50] if ln.strip()]
    comma = sum(len(_DECIMAL_COMMA.findall(ln)) for ln in sample)
    point = sum(len(_DECIMAL_POINT.findall(ln)) for ln in sample)
    return comma > 0 and comma > point


_DECIMAL_COMMA = re.compile(r"(?:^|[\s;\t])-?\d+,\d+(?=$|[\s;\t])")
_DECIMAL_POINT = re.compile(r"(?:^|[\s;\t,])-?\d+\.\d+(?=$|[\s;\t,])")


def find_header(lines: list[str], predicate: Callable[[str], bool]) -> int | None:
    """0-based index of the first line for which ``predicate`` holds."""
    for i, line in enumerate(lines):
        if predicate(line):
            return i
    return None


def sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in ("\t", ";", ",")}
    return max(counts, key=lambda d: counts[d])
