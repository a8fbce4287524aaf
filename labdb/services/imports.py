"""Bulk import of lots and cells from CSV or XLSX: all rows or none.

Every row is validated like a form entry; a file with any bad row is refused whole, with every
row's errors listed (row numbers as a spreadsheet shows them, the header being row 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any
from zipfile import BadZipFile

from django.core.exceptions import ValidationError
from django.db import transaction

from labdb import models as m
from labdb.models import HistoryEntry
from labdb.models.quantities import quantity_fields
from labdb.selectors.access import lookup_q
from labdb.services.history import history_record
from labdb.units import UnitError, parse_quantity


class ImportFailed(Exception):
    """The file was refused; ``errors`` lists every problem, ``row N, column: message``."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} error(s); nothing was imported")


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str
    #: "quantity" for values with units (of the kind the model declares for ``model_field``),
    #: "date", "float", "lot:<category>", "batch", "material", "choice", or "" (text).
    type: str = ""
    model_field: str = ""


QUANTITY = "quantity"


LOT_COLUMNS = [
    Column("label", True, "unique name of the lot, e.g. Ag-30nm-L1"),
    Column("material", True, "label or name of an existing material", "material"),
    Column("supplier", True, "supplier name"),
    Column("lot_number", True, "supplier's lot number"),
    Column("received_date", False, "YYYY-MM-DD", "date"),
    Column("d10", False, "with unit, e.g. 20 nm (bare numbers are nm)", QUANTITY, "d10_nm"),
    Column("d50", False, "with unit, e.g. 0.8 um (bare numbers are nm)", QUANTITY, "d50_nm"),
    Column("d90", False, "with unit (bare numbers are nm)", QUANTITY, "d90_nm"),
    Column("purity_pct", False, "purity in %, e.g. 99.9", "float"),
    Column("notes", False, "free text"),
]

CELL_COLUMNS = [
    Column("label", True, "unique name of the cell, e.g. MgAgSn-E-HC4"),
    Column("kind", True, "half or full", "choice"),
    Column("anode_batch", True, "label of the anode-side electrode batch", "batch"),
    Column("lithium_lot", False, "half cells: label of the Li foil lot", "lot:lithium_metal"),
    Column("cathode_lot", False, "full cells: label of the cathode lot", "lot:cathode_active"),
    Column(
        "cathode_coating_lot", False, "full cells: label of the coating lot", "lot:cathode_coating"
    ),
    Column(
        "cathode_loading", False, "with unit, e.g. 14 mg/cm2", QUANTITY, "cathode_loading_mg_cm2"
    ),
    Column("electrolyte_lot", True, "label of the solid-electrolyte lot", "lot:solid_electrolyte"),
    Column(
        "electrolyte_thickness",
        False,
        "with unit, e.g. 600 um",
        QUANTITY,
        "electrolyte_thickness_um",
    ),
    Column("area", True, "with unit, e.g. 0.785 cm2 (bare numbers are cm2)", QUANTITY, "area_cm2"),
    Column("stack_pressure", False, "with unit, e.g. 50 MPa", QUANTITY, "stack_pressure_mpa"),
    Column("assembled_on", False, "YYYY-MM-DD", "date"),
    Column("notes", False, "free text"),
]

TEMPLATES: dict[str, tuple[type[m.CatalogRecord], list[Column]]] = {
    "lots": (m.MaterialLot, LOT_COLUMNS),
    "cells": (m.Cell, CELL_COLUMNS),
}


def template_csv(kind: str) -> str:
    """A CSV template: the header and a second row describing each column."""
    _, columns = TEMPLATES[kind]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([c.name for c in columns])
    writer.writerow([("required: " if c.required else "optional: ") + c.help for c in columns])
    return buf.getvalue()


def _rows(fileobj: IO[bytes], filename: str) -> Iterator[tuple[int, dict[str, str]]]:
    if filename.lower().endswith((".xlsx", ".xlsm")):
        import openpyxl

        wb = openpyxl.load_workbook(fileobj, read_only=True, data_only=True)
        sheet = wb.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
        for n, values in enumerate(rows, start=2):
            yield n, {h: _cell_text(v) for h, v in zip(header, values, strict=False) if h}
    else:
        text = io.TextIOWrapper(fileobj, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text)
        for n, row in enumerate(reader, start=2):
            yield n, {(k or "").strip(): (v or "").strip() for k, v in row.items()}


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


@transaction.atomic
def bulk_import(
    *, kind: str, fileobj: IO[bytes], filename: str, project: m.Project, user: Any
) -> list[m.CatalogRecord]:
    """Import every row of the file as a record of ``kind`` ("lots" or "cells"), or none.

    Raises :class:`ImportFailed` listing every row's errors; the transaction is rolled back.
    """
    model, columns = TEMPLATES[kind]
    errors: list[str] = []
    created: list[m.CatalogRecord] = []
    try:
        rows = list(_rows(fileobj, filename))
    except (UnicodeDecodeError, csv.Error, KeyError, OSError, ValueError, BadZipFile) as exc:
        # BadZipFile: an .xlsx that is not a zip archive (openpyxl lets it through)
        raise ImportFailed([f"{filename}: not a readable CSV or XLSX file ({exc})"]) from exc
    if not rows:
        raise ImportFailed([f"{filename}: no data rows below the header"])
    header = set(rows[0][1])
    missing = [c.name for c in columns if c.required and c.name not in header]
    if missing:
        raise ImportFailed([f"{filename}: missing column(s) {', '.join(missing)}"])
    for n, row in rows:
        if not any(row.values()) or row.get("label", "").startswith(("required:", "optional:")):
            continue  # blank row, or the template's description row
        row_errors: list[str] = []
        values: dict[str, Any] = {"project": project}
        for c in columns:
            raw = row.get(c.name, "")
            if raw == "":
                if c.required:
                    row_errors.append(f"row {n}, {c.name}: required")
                continue
            try:
                values[c.model_field or c.name] = _convert(c, raw, project, model)
            except ValidationError as exc:
                row_errors.append(f"row {n}, {c.name}: {'; '.join(exc.messages)}")
        if row_errors:
            errors.extend(row_errors)
            continue
        record = model(**values)
        if getattr(user, "is_authenticated", False):
            record.created_by = user
        try:
            record.full_clean()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                col = _column_for(columns, field)
                errors.extend(f"row {n}, {col}: {msg}" for msg in messages)
            continue
        record.save()
        created.append(record)
    if errors:
        raise ImportFailed(errors)
    for record in created:
        history_record(record=record, action=HistoryEntry.Action.IMPORTED, user=user)
    return created


def _column_for(columns: list[Column], field: str) -> str:
    for c in columns:
        if field in {c.name, c.model_field}:
            return c.name
    return field


def _convert(c: Column, raw: str, project: m.Project, model: type[m.CatalogRecord]) -> Any:
    t = c.type
    if t == "date":
        try:
            return dt.date.fromisoformat(raw[:10])
        except ValueError as exc:
            raise ValidationError(f"{raw!r} is not a date (YYYY-MM-DD)") from exc
    if t == "float":
        try:
            return float(raw)
        except ValueError as exc:
            raise ValidationError(f"{raw!r} is not a number") from exc
    if t == "choice":
        return raw.lower()
    if t == "material":
        return _lookup(m.Material, raw, project, extra=lambda qs: qs.filter(name=raw))
    if t == "batch":
        return _lookup(m.ElectrodeBatch, raw, project)
    if t.startswith("lot:"):
        return _lookup(m.MaterialLot, raw, project)
    if t == QUANTITY:
        kind = quantity_fields(model)[c.model_field]
        try:
            return parse_quantity(raw, kind, field=c.name)
        except UnitError as exc:
            raise ValidationError(str(exc).split(": ", 1)[-1]) from exc
    return raw


def _lookup(
    model: type[m.CatalogRecord],
    key: str,
    project: m.Project,
    extra: Callable[[Any], Any] | None = None,
) -> m.CatalogRecord:
    qs = model._default_manager.filter(project=project)
    obj = qs.filter(lookup_q(key)).first()
    if obj is None and extra is not None:
        found = list(extra(qs)[:2])  # nosec B610  # a caller's filter function, not QuerySet.extra
        if len(found) == 1:
            obj = found[0]
    if obj is None:
        raise ValidationError(f"no {model._meta.verbose_name} {key!r} in project {project}")
    return obj
