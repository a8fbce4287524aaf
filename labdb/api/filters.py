"""Filters for the API's lists (django-filter): ``?kind=half&seed=Mg&assembled_after=...``."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import QuerySet
from rest_framework.filters import SearchFilter

from labdb import models as m


class NulSafeSearchFilter(SearchFilter):
    """``?search=`` without NUL characters (PostgreSQL refuses them in text)."""

    def get_search_terms(self, request: Any) -> list[str]:
        return [t.replace("\x00", "") for t in super().get_search_terms(request) if t.strip("\x00")]


class MaterialFilter(df.FilterSet):
    class Meta:
        model = m.Material
        fields = ("category",)


class MaterialLotFilter(df.FilterSet):
    material = df.CharFilter(field_name="material__label", help_text="material label")
    category = df.ChoiceFilter(field_name="material__category", choices=m.Material.Category.choices)
    d50_nm_min = df.NumberFilter(field_name="d50_nm", lookup_expr="gte")
    d50_nm_max = df.NumberFilter(field_name="d50_nm", lookup_expr="lte")
    received_after = df.DateFilter(field_name="received_date", lookup_expr="gte")
    received_before = df.DateFilter(field_name="received_date", lookup_expr="lte")

    class Meta:
        model = m.MaterialLot
        fields = ("supplier",)


class FormulationFilter(df.FilterSet):
    lot = df.CharFilter(field_name="components__lot__label", distinct=True, help_text="lot label")

    class Meta:
        model = m.Formulation
        fields = ("name", "version")


class ElectrodeBatchFilter(df.FilterSet):
    formulation = df.CharFilter(field_name="formulation__label")
    made_after = df.DateFilter(field_name="made_on", lookup_expr="gte")
    made_before = df.DateFilter(field_name="made_on", lookup_expr="lte")

    class Meta:
        model = m.ElectrodeBatch
        fields: tuple[str, ...] = ()


def _component(role: str) -> Any:
    def apply(qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return qs.filter(
            anode_batch__formulation__components__role=role,
            anode_batch__formulation__components__lot__material__name=value,
        ).distinct()

    return apply


class CellFilter(df.FilterSet):
    seed = df.CharFilter(method=_component("seed"), help_text="seed material name, e.g. Mg")
    binder = df.CharFilter(method=_component("binder"), help_text="binder name, e.g. Elastane")
    anode_batch = df.CharFilter(field_name="anode_batch__label")
    assembled_after = df.DateFilter(field_name="assembled_on", lookup_expr="gte")
    assembled_before = df.DateFilter(field_name="assembled_on", lookup_expr="lte")

    class Meta:
        model = m.Cell
        fields = ("kind", "status")


class InstrumentFilter(df.FilterSet):
    class Meta:
        model = m.Instrument
        fields = ("kind", "vendor")


class TestProtocolFilter(df.FilterSet):
    class Meta:
        model = m.TestProtocol
        fields = ("kind", "name")


class TestRunFilter(df.FilterSet):
    cell = df.CharFilter(field_name="cell__label")
    protocol = df.CharFilter(field_name="protocol__label")
    protocol_kind = df.ChoiceFilter(
        field_name="protocol__kind", choices=m.TestProtocol.Kind.choices
    )
    instrument = df.CharFilter(field_name="instrument__label")

    class Meta:
        model = m.TestRun
        fields = ("status", "channel")


class DataFileFilter(df.FilterSet):
    test_run = df.CharFilter(field_name="test_run__label")

    class Meta:
        model = m.DataFile
        fields = ("sha256", "source")


class JobFilter(df.FilterSet):
    test_run = df.CharFilter(field_name="data_file__test_run__label")
    file = df.UUIDFilter(field_name="data_file_id")

    class Meta:
        model = m.AnalysisJob
        fields = ("status", "kind")


class _ResultFilter(df.FilterSet):
    test_run = df.CharFilter(field_name="test_run__label")
    cell = df.CharFilter(field_name="test_run__cell__label")

    class Meta:
        model = m.AnalysisResult
        fields = ("kind",)


#: results by run, cell, kind and a range of each filterable run metric (``<column>_min``,
#: ``<column>_max``; the metrics come from ``m.RUN_METRICS``)
ResultFilter = type(
    "ResultFilter",
    (_ResultFilter,),
    {
        f"{rm.column}_{end}": df.NumberFilter(field_name=rm.column, lookup_expr=lookup)
        for rm in m.RUN_METRICS
        if rm.filterable
        for end, lookup in (("min", "gte"), ("max", "lte"))
    },
)
