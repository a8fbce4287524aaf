"""Reads for catalog pages: lists with search and filters, and the records around a record."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q, QuerySet

from labdb import models as m


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


def project_counts(project_id: Any) -> dict[str, int]:
    """How many records of each catalog type a project holds."""
    return {
        t._meta.model_name or t.__name__: t._default_manager.filter(project_id=project_id).count()
        for t in m.CATALOG_MODELS
    }
