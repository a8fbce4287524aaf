"""The global search: labels, lot numbers, suppliers and names across record types."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from labdb import models as m
from labdb.selectors.access import visible
from labdb.selectors.catalog import search

#: record type -> (plural title, URL prefix, fields searched)
SEARCHED: list[tuple[type[Model], str, str, tuple[str, ...]]] = [
    (m.Cell, "cells", "cells", ("label", "notes")),
    (m.TestRun, "test runs", "test-runs", ("label", "protocol__name", "channel")),
    (m.ElectrodeBatch, "electrode batches", "batches", ("label", "formulation__name")),
    (m.Formulation, "formulations", "formulations", ("label", "name")),
    (
        m.MaterialLot,
        "material lots",
        "lots",
        ("label", "lot_number", "supplier", "material__name", "material__formula"),
    ),
    (m.Material, "materials", "materials", ("label", "name", "formula")),
    (m.Instrument, "instruments", "instruments", ("label", "vendor", "model", "serial_number")),
    (m.TestProtocol, "test protocols", "protocols", ("label", "name")),
]
LIMIT = 25


def global_search(user: Any, text: str) -> list[dict[str, Any]]:
    """Groups of matching records (every word must match some field), at most ``LIMIT`` each,
    plus raw data files by name or sha256 prefix."""
    text = text.strip()[:200]
    if not text:
        return []
    groups = []
    for model, title, slug, fields in SEARCHED:
        qs = search(visible(model, user), fields, text)
        total = qs.count()
        if total:
            hits = [(str(r), f"/{slug}/{r.pk}/") for r in qs.order_by("label")[:LIMIT]]
            groups.append({"title": title, "total": total, "hits": hits, "slug": slug})
    files = search(visible(m.DataFile, user), ("original_name", "sha256"), text)
    total = files.count()
    if total:
        hits = [
            (f"{f.original_name} ({f.test_run.label})", f"/test-runs/{f.test_run_id}/")
            for f in files.select_related("test_run")[:LIMIT]
        ]
        groups.append({"title": "data files", "total": total, "hits": hits, "slug": ""})
    return groups
