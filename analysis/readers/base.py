"""The reader contract: a registry of format readers, a frozen result, a ParseError.

A reader is a function ``(path, **options) -> Parsed`` registered under a format name with a
content sniffer. It either returns a complete table or raises :class:`ParseError`; it never
returns a partial result. The framework (:func:`read`) stamps provenance (format, parser
module and version, file name) so that loaders cannot forget it.
"""

from __future__ import annotations

import csv
import math
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

from analysis.readers._errors import ParseError as ParseError

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

#: How many leading bytes a sniffer sees.
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class Parsed:
    """What a reader function returns: the canonical table and what it had to say.

    ``kind`` overrides the registered kind for formats that hold several techniques (a
    BioLogic file is cycling data or impedance spectra depending on the technique).
    ``companions`` are the other tables of a file that holds two techniques (a BioLogic Modulo
    Bat run with DC cycling and PEIS/GEIS loops: the cycling table and the spectra), by kind.
    """

    table: pd.DataFrame
    warnings: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    kind: str | None = None
    companions: Mapping[str, Parsed] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadResult:
    """A parsed file, stamped by the framework.

    ``kind`` is what the table holds: ``cycling`` (BDF columns), ``eis`` (spectrum,
    frequency_hz, z_real_ohm, z_imag_ohm, ...), ``peel``, ``scratch``, ``indentation`` or ``cv``.
    """

    format: str
    kind: str
    table: pd.DataFrame
    warnings: tuple[str, ...]
    metadata: Mapping[str, Any]
    parser: str
    parser_version: str
    source_name: str
    #: the other tables of a mixed file (kind -> ReadResult of that table), see :meth:`part`
    companions: Mapping[str, ReadResult] = field(default_factory=dict)

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every kind of table the file gave: the main one first."""
        return (self.kind, *self.companions)

    def part(self, kinds: frozenset[str] | set[str] | tuple[str, ...]) -> ReadResult | None:
        """The table of this file a pipeline accepting ``kinds`` analyses: the main table when
        its kind is accepted, else a companion's (a mixed file), else None."""
        if self.kind in kinds:
            return self
        return next((c for k, c in self.companions.items() if k in kinds), None)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready description (what ``python -m analysis read --json`` prints)."""
        return {
            "file": self.source_name,
            "format": self.format,
            "kind": self.kind,
            "parser": self.parser,
            "parser_version": self.parser_version,
            "rows": len(self.table),
            "columns": list(map(str, self.table.columns)),
            "warnings": list(self.warnings),
            "metadata": _jsonable(dict(self.metadata)),
            **(
                {"companions": {k: c.summary() for k, c in self.companions.items()}}
                if self.companions
                else {}
            ),
        }


Sniffer = Callable[[str, bytes], bool]
ReaderFunc = Callable[..., Parsed]


@dataclass(frozen=True)
class ReaderSpec:
    name: str
    kind: str
    extensions: tuple[str, ...]
    sniff: Sniffer
    func: ReaderFunc
    version: str
    module: str
    priority: int
    description: str


_REGISTRY: dict[str, ReaderSpec] = {}


def register(
    name: str,
    *,
    kind: str,
    extensions: tuple[str, ...] = (),
    sniff: Sniffer,
    version: str = "1",
    priority: int = 50,
    description: str = "",
) -> Callable[[ReaderFunc], ReaderFunc]:
    """Register a reader function under the format ``name``.

    ``sniff(filename, head)`` gets the lower-cased file name and its first :data:`SNIFF_BYTES`
    bytes and says whether the file is in this format; it must look at the content, the name
    being only a hint. When several sniffers accept a file the lowest ``priority`` wins (use a
    low number for precise signatures such as a binary magic, a high one for generic CSV).
    """

    def decorator(func: ReaderFunc) -> ReaderFunc:
        if name in _REGISTRY:
            raise RuntimeError(f"reader {name!r} registered twice")
        _REGISTRY[name] = ReaderSpec(
            name=name,
            kind=kind,
            extensions=tuple(e.lower() for e in extensions),
            sniff=sniff,
            func=func,
            version=version,
            module=func.__module__,
            priority=priority,
            description=description or _first_line(func.__doc__),
        )
        return func

    return decorator


def _first_line(doc: str | None) -> str:
    lines = (doc or "").strip().splitlines()
    return lines[0] if lines else ""


def registry() -> Mapping[str, ReaderSpec]:
    """All registered readers, by format name."""
    _load_reader_modules()
    return MappingProxyType(_REGISTRY)


def _load_reader_modules() -> None:
    # Importing every module of this package registers its readers: adding a format is adding
    # a module, with no central list to edit.
    import importlib
    import pkgutil

    from analysis import readers as package

    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_") and info.name not in {"base"}:
            importlib.import_module(f"{package.__name__}.{info.name}")


def detect(path: str | Path, *, kind: str | None = None) -> ReaderSpec:
    """The reader for ``path``, decided from its content (the extension only breaks ties)."""
    path = Path(path)
    specs = registry()
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise ParseError(f"cannot open the file ({exc.strerror})", file=path) from exc
    if not head:
        raise ParseError("the file is empty", file=path)
    head = head.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark says nothing of the format
    name = path.name.lower()
    candidates = [
        s for s in specs.values() if (kind is None or s.kind == kind) and _safe_sniff(s, name, head)
    ]
    if not candidates:
        from analysis.readers._closest import refusal

        text = head.decode("utf-8", errors="replace")
        raise ParseError(
            refusal(path.name, text)
            + f"\nor pass an explicit format (one of {', '.join(sorted(specs))})",
            file=path,
        )
    candidates.sort(key=lambda s: (s.priority, not name.endswith(s.extensions or ("\0",))))
    return candidates[0]


def _safe_sniff(spec: ReaderSpec, name: str, head: bytes) -> bool:
    try:
        return bool(spec.sniff(name, head))
    except Exception:
        return False


def read(path: str | Path, format: str | None = None, **options: Any) -> ReadResult:
    """Parse ``path`` into its canonical table.

    ``format`` overrides detection. Options go to the reader (e.g. ``mapping`` for the generic
    CSV reader). Raises :class:`ParseError` naming the file on any problem.

    A gzip-compressed file (``run.csv.gz``) is unpacked to a temporary file and read as what it
    holds. Every file is held to the reader limits (:mod:`analysis.readers._limits`): a
    container that declares more than they allow is refused before it is unpacked, a gzip
    stream while it is, and a table with more rows or cells after it is parsed.
    """
    from analysis.readers._limits import check_container, limits

    path = Path(path)
    bounds = limits()
    try:
        with path.open("rb") as fh:
            magic = fh.read(8)
    except OSError as exc:
        raise ParseError(f"cannot open the file ({exc.strerror})", file=path) from exc
    if magic.startswith(_GZIP_MAGIC):
        return _read_gzip(path, format, bounds, options)
    check_container(path, magic, bounds)
    specs = registry()
    if format is not None:
        if format not in specs:
            raise ParseError(
                f"unknown format {format!r}; known formats: {', '.join(sorted(specs))}",
                file=path,
            )
        spec = specs[format]
    else:
        spec = detect(path)
    try:
        parsed = spec.func(path, **options)
    except ParseError as exc:
        raise exc.with_file(path) from exc
    except (OSError, ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError) as exc:
        raise ParseError(f"{spec.name} reader failed: {exc}", file=path) from exc
    except DAMAGED_INPUT as exc:
        raise ParseError(
            f"the file is damaged or is no {spec.name} file ({type(exc).__name__}: {exc})",
            file=path,
        ) from exc
    bounds.check_table(path, len(parsed.table), len(parsed.table.columns))
    for part in parsed.companions.values():
        bounds.check_table(path, len(part.table), len(part.table.columns))
    return _stamped(parsed, spec, path.name)


def _stamped(parsed: Parsed, spec: ReaderSpec, source_name: str) -> ReadResult:
    """The framework's stamp (format, parser, version, file name) on a reader's result and on
    each of its companion tables."""
    return ReadResult(
        format=spec.name,
        kind=parsed.kind or spec.kind,
        table=parsed.table,
        warnings=tuple(parsed.warnings),
        metadata=MappingProxyType(dict(parsed.metadata)),
        parser=spec.module,
        parser_version=spec.version,
        source_name=source_name,
        companions=MappingProxyType(
            {kind: _stamped(part, spec, source_name) for kind, part in parsed.companions.items()}
        ),
    )


_GZIP_MAGIC = b"\x1f\x8b"
#: what the standard library raises for a damaged ZIP (XLSX, NDAX), deflate stream, binary
#: record or CSV text: the file's fault, never an internal error (found by bench/fuzz.py)
DAMAGED_INPUT: tuple[type[Exception], ...] = (
    csv.Error,
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    EOFError,
    # what a library raises for a feature of the bytes it does not read: zipfile for an
    # unsupported flag or version, pyarrow's ArrowNotImplementedError for a Parquet type it
    # has no reader for (both found by bench/fuzz.py)
    NotImplementedError,
)
try:  # a faster zlib some readers' libraries put under zipfile; its error is no zlib.error
    from isal import isal_zlib

    DAMAGED_INPUT += (cast(type[Exception], isal_zlib.error),)
except ImportError:  # pragma: no cover - isal is optional
    pass


def _read_gzip(
    path: Path, format: str | None, bounds: Any, options: Mapping[str, Any]
) -> ReadResult:
    """Read what the gzip file ``path`` holds, unpacked within the limits (streamed)."""
    import dataclasses
    import gzip
    import tempfile

    from analysis.readers._limits import copy_bounded

    inner_name = path.name[: -len(".gz")] if path.name.lower().endswith(".gz") else path.stem
    with tempfile.TemporaryDirectory(prefix="labdb-gz-") as tmp:
        inner = Path(tmp) / (inner_name or "data")
        try:
            with gzip.open(path, "rb") as source, inner.open("wb") as target:
                copy_bounded(source, target, bounds=bounds, path=path)
        except (OSError, EOFError, zlib.error) as exc:
            raise ParseError(f"cannot unpack the gzip file ({exc})", file=path) from exc
        try:
            result = read(inner, format, **options)
        except ParseError as exc:
            raise type(exc)(
                exc.reason,
                file=path,
                row=exc.row,
                column=exc.column,
                expected=exc.expected,
                found=exc.found,
            ) from exc
    return dataclasses.replace(
        result,
        source_name=path.name,
        metadata=MappingProxyType({**result.metadata, "compression": "gzip"}),
        companions=MappingProxyType(
            {k: dataclasses.replace(c, source_name=path.name) for k, c in result.companions.items()}
        ),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
