"""Reads for catalog pages: lists with search and filters, and the records around a record."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q, QuerySet

from labdb import models as m
from labdb.selectors.access import visible


def search(qs: QuerySet[Any], fields: tuple[str, ...], text: str) -> QuerySet[Any]:
    """Records where any of ``fields`` contains every word of ``text`` (case-insensitive)."""
    for word in text.split():
        q = Q()
        for f in fields:
            q |= Q(**{f"{f}__icontains": word})
        qs = qs.filter(q)
    return qs.distinct() if any("__" in f for f in fields) else qs


def upstream(record: Model) -> list[tuple[str, Model]]:
    """The records this one was made from or refers to (foreign keys), as (role, record)."""
    out: list[tuple[str, Model]] = []
    for field in record._meta.concrete_fields:
        if field.is_relation and field.name not in {"project", "created_by", "operator"}:
            related = getattr(record, field.name)
            if related is not None and isinstance(related, m.CatalogRecord):
                out.append((str(field.verbose_name), related))
    if isinstance(record, m.Formulation):
        for c in record.components.select_related("lot__material"):
            out.append((f"{c.get_role_display()} ({c.mass_fraction_pct:g} wt%)", c.lot))
    return out


def downstream(record: Model, user: Any) -> list[tuple[str, list[Model]]]:
    """The records that depend directly on this one, grouped by relation."""
    groups: list[tuple[str, QuerySet[Any]]] = []
    if isinstance(record, m.Material):
        groups.append(("lots", visible(m.MaterialLot, user).filter(material=record)))
    elif isinstance(record, m.MaterialLot):
        groups += [
            (
                "formulations",
                visible(m.Formulation, user)
                .filter(Q(components__lot=record) | Q(solvent_lot=record))
                .distinct(),
            ),
            (
                "electrode batches (current collector)",
                visible(m.ElectrodeBatch, user).filter(current_collector_lot=record),
            ),
            (
                "cells",
                visible(m.Cell, user).filter(
                    Q(lithium_lot=record)
                    | Q(cathode_lot=record)
                    | Q(cathode_coating_lot=record)
                    | Q(electrolyte_lot=record)
                ),
            ),
        ]
    elif isinstance(record, m.Formulation):
        groups += [
            ("electrode batches", visible(m.ElectrodeBatch, user).filter(formulation=record)),
            ("newer version", visible(m.Formulation, user).filter(previous_version=record)),
        ]
    elif isinstance(record, m.ElectrodeBatch):
        groups += [
            ("cells", visible(m.Cell, user).filter(anode_batch=record)),
            ("test runs", visible(m.TestRun, user).filter(electrode_batch=record)),
        ]
    elif isinstance(record, m.Cell):
        groups.append(("test runs", visible(m.TestRun, user).filter(cell=record)))
    elif isinstance(record, m.Instrument | m.TestProtocol):
        key = "instrument" if isinstance(record, m.Instrument) else "protocol"
        groups.append(("test runs", visible(m.TestRun, user).filter(**{key: record})))
    return [(name, list(qs[:200])) for name, qs in groups]


def project_counts(project_id: Any) -> dict[str, int]:
    """How many records of each catalog type a project holds."""
    types = [
        m.Material,
        m.MaterialLot,
        m.Formulation,
        m.ElectrodeBatch,
        m.Cell,
        m.Instrument,
        m.TestProtocol,
        m.TestRun,
    ]
    return {
        t._meta.model_name or t.__name__: t._default_manager.filter(project_id=project_id).count()
        for t in types
    }
