"""Catalog endpoints: every collection, looked up by UUID or label, scoped to the user's projects.
Writes go through the catalog services (validation and history)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from labdb import models as m
from labdb.api import filters as f
from labdb.api import serializers as s
from labdb.api.filters import NulSafeSearchFilter
from labdb.api.permissions import token_of
from labdb.api.provenance_views import CrateActionMixin, ProvenanceActionsMixin
from labdb.api.selectors import get_record
from labdb.api.services import record_write, test_run_create
from labdb.selectors.access import projects_for, visible
from labdb.text import a

ID_OR_LABEL = OpenApiParameter(
    "id_or_label",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="the record's UUID or its label",
)


def drf_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A model or service validation error as a 400 with the same per-field messages."""
    if hasattr(exc, "error_dict"):
        detail = {
            ("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()
        }
        return exceptions.ValidationError(detail)
    return exceptions.ValidationError({"non_field_errors": exc.messages})


class RecordLookupMixin:
    """Detail URLs take a UUID or a label; another project's record is not found (404)."""

    lookup_field = "label"
    lookup_url_kwarg = "id_or_label"
    lookup_value_regex = "[^/]+"
    request: Request
    kwargs: dict[str, Any]

    def get_object(self) -> Any:
        qs = self.get_queryset()  # type: ignore[attr-defined]
        obj = get_record(qs, self.kwargs[self.lookup_url_kwarg], qs.model._meta.verbose_name)
        self.check_object_permissions(self.request, obj)  # type: ignore[attr-defined]
        return obj


class CatalogViewSet(
    ProvenanceActionsMixin,
    RecordLookupMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """List, read, create and edit; records are never deleted through the API."""

    model: type[m.CatalogRecord]
    related: tuple[str, ...] = ()
    search_fields: tuple[str, ...] = ("label",)
    ordering_fields: tuple[str, ...] = ("label", "created_at", "updated_at")
    ordering = ("label",)
    filter_backends = (DjangoFilterBackend, NulSafeSearchFilter, OrderingFilter)
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        qs = visible(self.model, self.request.user).select_related("project", "created_by")
        return qs.select_related(*self.related) if self.related else qs

    def _project(self, serializer: BaseSerializer[Any]) -> m.Project:
        project = serializer.validated_data.pop("project", None)  # type: ignore[union-attr]
        if project is not None:
            return project  # type: ignore[no-any-return]
        projects = list(projects_for(self.request.user)[:2])
        if len(projects) == 1:
            return projects[0]
        raise exceptions.ValidationError(
            {"project": "required: give the label or UUID of one of your projects"}
        )

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        project = self._project(serializer)
        data = {**serializer.validated_data, "project": project}  # type: ignore[dict-item]
        try:
            serializer.instance = record_write(
                model=self.model, instance=None, data=data, user=self.request.user
            )
        except DjangoValidationError as exc:
            raise drf_error(exc) from exc

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        data = dict(serializer.validated_data)  # type: ignore[arg-type]
        project = data.pop("project", None)
        instance = serializer.instance
        if project is not None and project.pk != instance.project_id:  # type: ignore[union-attr]
            raise exceptions.ValidationError({"project": "a record cannot move to another project"})
        try:
            serializer.instance = record_write(
                model=self.model, instance=instance, data=data, user=self.request.user
            )
        except DjangoValidationError as exc:
            raise drf_error(exc) from exc


def _document(viewset: type[CatalogViewSet], name: str) -> type[CatalogViewSet]:
    """Schema texts and the id-or-label path parameter for a catalog viewset."""
    plural = f"{name}s" if not name.endswith("h") else f"{name}es"
    return extend_schema_view(
        list=extend_schema(summary=f"List {plural}", tags=[plural]),
        retrieve=extend_schema(summary=f"Read {a(name)}", tags=[plural], parameters=[ID_OR_LABEL]),
        create=extend_schema(summary=f"Create {a(name)}", tags=[plural]),
        update=extend_schema(summary=f"Replace {a(name)}", tags=[plural], parameters=[ID_OR_LABEL]),
        partial_update=extend_schema(
            summary=f"Edit {a(name)}", tags=[plural], parameters=[ID_OR_LABEL]
        ),
    )(viewset)


@extend_schema_view(
    list=extend_schema(summary="List your projects", tags=["projects"]),
    retrieve=extend_schema(summary="Read a project", tags=["projects"], parameters=[ID_OR_LABEL]),
)
class ProjectViewSet(RecordLookupMixin, viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    serializer_class = s.ProjectSerializer
    filter_backends = (NulSafeSearchFilter, OrderingFilter)
    search_fields = ("label", "name")
    ordering_fields = ("label", "created_at")
    ordering = ("label",)

    def get_queryset(self) -> QuerySet[m.Project]:
        return projects_for(self.request.user)


class MaterialViewSet(CatalogViewSet):
    model = m.Material
    serializer_class = s.MaterialSerializer
    filterset_class = f.MaterialFilter
    search_fields = ("label", "name", "formula")


class MaterialLotViewSet(CatalogViewSet):
    model = m.MaterialLot
    serializer_class = s.MaterialLotSerializer
    filterset_class = f.MaterialLotFilter
    related = ("material",)
    search_fields = ("label", "supplier", "lot_number", "material__name")
    ordering_fields = ("label", "created_at", "received_date", "d50_nm")


class FormulationViewSet(CatalogViewSet):
    model = m.Formulation
    serializer_class = s.FormulationSerializer
    filterset_class = f.FormulationFilter
    related = ("solvent_lot", "previous_version")
    search_fields = ("label", "name")
    ordering_fields = ("label", "name", "version", "created_at")

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().prefetch_related("components__lot")


class ElectrodeBatchViewSet(CatalogViewSet):
    model = m.ElectrodeBatch
    serializer_class = s.ElectrodeBatchSerializer
    filterset_class = f.ElectrodeBatchFilter
    related = ("formulation", "current_collector_lot", "operator")
    search_fields = ("label", "formulation__label", "formulation__name")
    ordering_fields = ("label", "made_on", "created_at")

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().prefetch_related("steps")


class CellViewSet(CrateActionMixin, CatalogViewSet):
    model = m.Cell
    serializer_class = s.CellSerializer
    filterset_class = f.CellFilter
    related = (
        "anode_batch__formulation",
        "lithium_lot",
        "cathode_lot",
        "cathode_coating_lot",
        "electrolyte_lot",
        "operator",
    )
    search_fields = ("label", "anode_batch__label", "anode_batch__formulation__name")
    ordering_fields = ("label", "assembled_on", "created_at")


class InstrumentViewSet(CatalogViewSet):
    model = m.Instrument
    serializer_class = s.InstrumentSerializer
    filterset_class = f.InstrumentFilter
    search_fields = ("label", "vendor", "model", "serial_number")


class TestProtocolViewSet(CatalogViewSet):
    model = m.TestProtocol
    serializer_class = s.TestProtocolSerializer
    filterset_class = f.TestProtocolFilter
    search_fields = ("label", "name")


for _viewset, _name in (
    (MaterialViewSet, "material"),
    (MaterialLotViewSet, "lot"),
    (FormulationViewSet, "formulation"),
    (ElectrodeBatchViewSet, "electrode batch"),
    (CellViewSet, "cell"),
    (InstrumentViewSet, "instrument"),
    (TestProtocolViewSet, "protocol"),
):
    _document(_viewset, _name)


class BoundInstrumentMixin:
    """Instrument-bound tokens create runs on their instrument only."""

    request: Request

    def bound_instrument(self, requested: m.Instrument | None) -> m.Instrument | None:
        token = token_of(self.request)
        if token is None or token.instrument_id is None:
            return requested
        if requested is not None and requested.pk != token.instrument_id:
            raise exceptions.PermissionDenied(
                f"This token is bound to instrument {token.instrument.label}."  # type: ignore[union-attr]
            )
        return token.instrument


def create_test_run(view: Any, request: Request) -> Response:
    """``POST /test-runs/``: as an instrument, with the cell (label or id), the protocol (label,
    name or id), optionally the instrument and channel; the label is generated if left out."""
    serializer = view.get_serializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    try:
        run = test_run_create(
            user=request.user,
            cell=data.get("cell"),
            electrode_batch=data.get("electrode_batch"),
            protocol=data["protocol"],
            instrument=view.bound_instrument(data.get("instrument")),
            channel=data.get("channel", ""),
            label=data.get("label", ""),
            started_at=data.get("started_at"),
            status=data.get("status", m.TestRun.Status.PLANNED),
            notes=data.get("notes", ""),
        )
    except DjangoValidationError as exc:
        raise drf_error(exc) from exc
    return Response(view.get_serializer(run).data, status=status.HTTP_201_CREATED)
