"""The error every reader raises for a file it cannot read (re-exported by
:mod:`analysis.readers.base`; here so that the helpers the registry uses can raise it too)."""

from __future__ import annotations

from pathlib import Path


class ParseError(ValueError):
    """A file that cannot be read, with where and why.

    The message names the file, and where known the row (1-based, as a spreadsheet shows it),
    the column, what was expected and what was found, e.g.
    ``data.csv, row 12, column 'Current(A)': expected a number, found 'abc'``.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        expected: str | None = None,
        found: str | None = None,
    ) -> None:
        self.reason = message
        self.file = Path(file).name if file is not None else None
        self.row = row
        self.column = column
        self.expected = expected
        self.found = found
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = ", ".join(where)
        detail = self.reason
        if self.expected is not None:
            detail += f": expected {self.expected}"
            if self.found is not None:
                detail += f", found {self.found!r}"
        return f"{text}: {detail}" if text else detail

    def with_file(self, file: str | Path) -> ParseError:
        """The same error, naming ``file`` when the reader did not."""
        if self.file is not None:
            return self
        return ParseError(
            self.reason,
            file=file,
            row=self.row,
            column=self.column,
            expected=self.expected,
            found=self.found,
        )
