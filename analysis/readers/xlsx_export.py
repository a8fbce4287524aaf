"""Cycler spreadsheets (.xlsx): which vendor wrote it is decided from the sheets' header rows.

Format ``cycler-xlsx``. A zip's first bytes do not say whose spreadsheet it is, so detection
accepts any workbook and this reader looks at the first row of every sheet (read-only, cheap),
then hands the file to the Arbin, Neware or Landt reader; ``metadata["vendor_format"]`` says
which. A workbook that is none of them is a ParseError listing the sheets and their headers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analysis.readers import arbin, landt, neware
from analysis.readers.base import Parsed, ParseError, register


def _sniff(name: str, head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04") and b"xl/" in head and name.endswith((".xlsx", ".xlsm"))


def sheet_headers(path: Path) -> dict[str, list[str]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except InvalidFileException as exc:  # e.g. a name without .xlsx (bench/fuzz.py)
        raise ParseError(f"not a workbook openpyxl reads: {exc}", file=path) from exc
    try:
        headers = {}
        for sheet in book.worksheets:
            row = next(sheet.iter_rows(max_row=1, values_only=True), ())
            headers[sheet.title] = [str(c) for c in row if c is not None]
        return headers
    finally:
        book.close()


@register(
    "cycler-xlsx", kind="cycling", extensions=(".xlsx",), sniff=_sniff, version="1", priority=70
)
def read_cycler_xlsx(path: Path, **options: Any) -> Parsed:
    """A cycler's XLSX export (Arbin, Neware or Landt), recognised from the sheet headers."""
    headers = sheet_headers(path)
    for cells in headers.values():
        line = ",".join(cells)
        if arbin._is_arbin_header(line):
            name, parsed = "arbin", arbin.read_arbin_export(path, **options)
        elif neware._is_neware_header(line):
            name, parsed = "neware-csv", neware.read_neware_csv(path, **options)
        elif landt.is_landt_header(cells):
            name, parsed = "landt", landt.read_landt(path, **options)
        else:
            continue
        return Parsed(
            parsed.table, parsed.warnings, {**parsed.metadata, "vendor_format": name}, parsed.kind
        )
    raise ParseError(
        "no sheet has a cycler's record header (Arbin, Neware or Landt)",
        file=path,
        found="; ".join(f"{k}: {', '.join(v[:6])}" for k, v in headers.items())[:300],
    )
