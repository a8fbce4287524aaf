"""Provenance endpoints on every catalog collection: the W3C PROV document, the lineage at any
depth (upstream and downstream), and for cells the RO-Crate (.eln) export; for test runs their
EIS fits. Access is checked on the root record (another project's record answers 404)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from labdb.selectors.lineage import Lineage, lineage, record_text

PATH_PARAM = OpenApiParameter(
    "id_or_label",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="the record's UUID or its label",
)


class ProvJSONRenderer(BaseRenderer):
    """A PROV-JSON document (already serialised text)."""

    media_type = "application/json"
    format = "prov-json"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        return data.encode() if isinstance(data, str) else JSONRenderer().render(data)


class ProvNRenderer(ProvJSONRenderer):
    """A PROV-N document."""

    media_type = "text/provenance-notation"
    format = "prov-n"


class LineageNodeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    type = serializers.CharField(help_text="record type, e.g. materiallot, cell, analysisresult")
    id = serializers.UUIDField()
    label = serializers.CharField()
    depth = serializers.IntegerField(help_text="steps from the record")


class LineageEdgeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    source = serializers.CharField(help_text="type:uuid of the record nearer the root")
    target = serializers.CharField()


class LineageSerializer(serializers.Serializer):  # type: ignore[type-arg]
    direction = serializers.ChoiceField(choices=["up", "down"])
    nodes = LineageNodeSerializer(many=True)
    edges = LineageEdgeSerializer(many=True)


def lineage_payload(lin: Lineage) -> dict[str, Any]:
    return {
        "direction": lin.direction,
        "nodes": [
            {"type": t, "id": str(pk), "label": record_text(obj), "depth": depth}
            for (t, pk), (obj, depth) in sorted(lin.nodes.items(), key=lambda kv: kv[1][1])
        ],
        "edges": [{"source": f"{a[0]}:{a[1]}", "target": f"{b[0]}:{b[1]}"} for a, b in lin.edges],
    }


class ProvenanceActionsMixin:
    """``provenance/``, ``lineage/`` and ``impact/`` on a collection's records."""

    get_object: Any

    @extend_schema(
        summary="W3C PROV document of the record (its whole upstream, and downstream results)",
        parameters=[PATH_PARAM],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/provenance-notation"): OpenApiTypes.STR,
        },
        tags=["provenance"],
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[ProvJSONRenderer, ProvNRenderer],
        filter_backends=[],
        pagination_class=None,
    )
    def provenance(self, request: Request, id_or_label: str) -> Response:
        from labdb.exports.prov import provenance_document, serialize

        record = self.get_object()
        fmt = "prov-n" if request.accepted_renderer.format == "prov-n" else "prov-json"
        return Response(serialize(provenance_document(record), fmt))

    @extend_schema(
        summary="Lineage of the record at any depth",
        parameters=[
            PATH_PARAM,
            OpenApiParameter(
                "direction",
                OpenApiTypes.STR,
                enum=["up", "down"],
                description="up: what it was made from (default); down: what depends on it",
            ),
        ],
        responses=LineageSerializer,
        tags=["provenance"],
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def lineage(self, request: Request, id_or_label: str) -> Response:
        direction = request.query_params.get("direction", "up")
        if direction not in ("up", "down"):
            raise serializers.ValidationError({"direction": "'up' or 'down'"})
        record = self.get_object()
        return Response(
            lineage_payload(lineage(record, request.user, direction=direction, lean=True))
        )

    @extend_schema(
        summary="Everything that depends on the record (e.g. a contaminated powder lot)",
        parameters=[PATH_PARAM],
        responses=LineageSerializer,
        tags=["provenance"],
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def impact(self, request: Request, id_or_label: str) -> Response:
        record = self.get_object()
        return Response(lineage_payload(lineage(record, request.user, direction="down", lean=True)))


class CrateActionMixin:
    """``crate/``: the RO-Crate (.eln) of a cell with its raw files and analyses."""

    get_object: Any

    @extend_schema(
        summary="RO-Crate (.eln zip) of the cell: raw files with sha256, metadata, analyses",
        parameters=[PATH_PARAM],
        responses={(200, "application/zip"): OpenApiResponse(description="the .eln file")},
        tags=["provenance"],
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def crate(self, request: Request, id_or_label: str) -> FileResponse:
        from labdb.exports.crate import CrateDownload

        cell = self.get_object()
        download = CrateDownload([cell], f"{cell.label}.eln")
        return FileResponse(
            download,
            as_attachment=True,
            filename=download.path.name,
            content_type="application/zip",
        )
