"""Terms of the RO-Crate export: the profile and term IRIs, the media types of exported files, the
identifiers of catalog records and the JSON-LD value helpers every entity builder uses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.db.models import Model

from labdb import models as m
from labdb.exports import vocab
from labdb.exports.prov import SEGMENT, namespace_uri
from labdb.storage import safe_name as _safe_name

PROCESS_RUN_CRATE = "https://w3id.org/ro/wfrun/process/0.5"
SHA256_TERM = "https://w3id.org/ro/terms/workflow-run#sha256"

_FORMATS = {
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".json": "application/json",
    ".parquet": "application/vnd.apache.parquet",
    ".mpt": "text/plain",
    ".mpr": "application/octet-stream",
    ".res": "application/octet-stream",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".tif": "image/tiff",
}


def safe_name(name: str) -> str:
    """A single path segment: no directories, no leading dots."""
    return _safe_name(name).lstrip(".") or "unnamed"


def uri(obj: Model) -> str:
    return f"{namespace_uri()}{SEGMENT[type(obj)]}/{obj.pk}"


def _encoding(name: str, declared: str = "") -> str:
    if declared:
        return declared
    return _FORMATS.get(Path(name).suffix.lower(), "application/octet-stream")


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _clean(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if v not in (None, "", [], {})}


def _cell_class(c: m.Cell) -> str:
    """The EMMO class of a cell: BatteryHalfCell or BatteryCell."""
    return vocab.BATTERY_HALF_CELL if c.kind == m.Cell.Kind.HALF else vocab.BATTERY_CELL
