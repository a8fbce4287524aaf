"""What each catalog page shows: URL prefix, model, form, list columns, filters and search."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, QuerySet

from labdb import models as m
from labdb.web import forms as f


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    choices: Callable[[Any], list[tuple[str, str]]]
    apply: Callable[[QuerySet[Any], str], QuerySet[Any]]


def _choices_of(model: type[Model], field_name: str) -> Callable[[Any], list[tuple[str, str]]]:
    def choices(user: Any) -> list[tuple[str, str]]:
        return [
            (str(v), str(label)) for v, label in model._meta.get_field(field_name).choices or []
        ]

    return choices


def _field_filter(model: type[Model], name: str, label: str) -> Filter:
    return Filter(name, label, _choices_of(model, name), lambda qs, v: qs.filter(**{name: v}))


def _materials_of_role(role: str) -> Callable[[Any], list[tuple[str, str]]]:
    def choices(user: Any) -> list[tuple[str, str]]:
        from labdb.selectors.access import visible

        names = (
            visible(m.Formulation, user)
            .filter(components__role=role)
            .values_list("components__lot__material__name", flat=True)
            .distinct()
        )
        return [(n, n) for n in sorted(set(names))]

    return choices


def _cell_by_component(role: str) -> Callable[[QuerySet[Any], str], QuerySet[Any]]:
    def apply(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        # a semi-join (IN): no row per component to take out again with DISTINCT, which made
        # PostgreSQL sort every matching cell before the page (bench/scale.py)
        formulations = m.Formulation.objects.filter(
            components__role=role, components__lot__material__name=value
        )
        return qs.filter(anode_batch__formulation__in=formulations.values("pk"))

    return apply


@dataclass(frozen=True)
class Entity:
    slug: str
    model: type[Model]
    form: type[f.CatalogForm]
    columns: tuple[str, ...]
    search: tuple[str, ...]
    filters: tuple[Filter, ...] = ()
    related: tuple[str, ...] = ()
    importable: bool = False
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def verbose_name(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def verbose_name_plural(self) -> str:
        return self.title or str(self.model._meta.verbose_name_plural)


ENTITIES: dict[str, Entity] = {
    e.slug: e
    for e in [
        Entity(
            "materials",
            m.Material,
            f.MaterialForm,
            columns=("label", "category", "name", "formula"),
            search=("label", "name", "formula"),
            filters=(_field_filter(m.Material, "category", "category"),),
        ),
        Entity(
            "lots",
            m.MaterialLot,
            f.MaterialLotForm,
            columns=(
                "label",
                "material",
                "supplier",
                "lot_number",
                "d50_nm",
                "purity_pct",
                "received_date",
            ),
            search=("label", "supplier", "lot_number", "material__name"),
            filters=(
                Filter(
                    "category",
                    "category",
                    _choices_of(m.Material, "category"),
                    lambda qs, v: qs.filter(material__category=v),
                ),
            ),
            related=("material",),
            importable=True,
            title="material lots",
        ),
        Entity(
            "formulations",
            m.Formulation,
            f.FormulationForm,
            columns=("label", "name", "version", "target_thickness_um", "solids_content_pct"),
            search=("label", "name", "components__lot__label", "components__lot__material__name"),
        ),
        Entity(
            "batches",
            m.ElectrodeBatch,
            f.ElectrodeBatchForm,
            columns=(
                "label",
                "formulation",
                "current_collector_lot",
                "measured_thickness_um",
                "made_on",
            ),
            search=("label", "formulation__label", "formulation__name"),
            related=("formulation", "current_collector_lot"),
        ),
        Entity(
            "cells",
            m.Cell,
            f.CellForm,
            columns=("label", "kind", "status", "anode_batch", "area_cm2", "assembled_on"),
            search=("label", "anode_batch__label", "anode_batch__formulation__name"),
            filters=(
                Filter("seed", "seed", _materials_of_role("seed"), _cell_by_component("seed")),
                Filter(
                    "binder", "binder", _materials_of_role("binder"), _cell_by_component("binder")
                ),
                _field_filter(m.Cell, "kind", "kind"),
                _field_filter(m.Cell, "status", "status"),
            ),
            related=("anode_batch",),
            importable=True,
        ),
        Entity(
            "instruments",
            m.Instrument,
            f.InstrumentForm,
            columns=("label", "kind", "vendor", "model", "channels"),
            search=("label", "vendor", "model", "serial_number"),
            filters=(_field_filter(m.Instrument, "kind", "kind"),),
        ),
        Entity(
            "protocols",
            m.TestProtocol,
            f.TestProtocolForm,
            columns=("label", "name", "kind"),
            search=("label", "name"),
            filters=(_field_filter(m.TestProtocol, "kind", "kind"),),
            title="test protocols",
        ),
        Entity(
            "test-runs",
            m.TestRun,
            f.TestRunForm,
            columns=(
                "label",
                "cell",
                "electrode_batch",
                "protocol",
                "instrument",
                "channel",
                "status",
            ),
            search=("label", "cell__label", "protocol__name"),
            filters=(_field_filter(m.TestRun, "status", "status"),),
            related=("cell", "electrode_batch", "protocol", "instrument"),
            title="test runs",
        ),
    ]
}

#: URL prefix for each model, to link any record to its page.
SLUG_FOR_MODEL: dict[type[Model], str] = {e.model: slug for slug, e in ENTITIES.items()}


def url_for(record: Model) -> str | None:
    slug = SLUG_FOR_MODEL.get(type(record))
    return f"/{slug}/{record.pk}/" if slug else None
