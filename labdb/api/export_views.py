"""``/api/v1/exports/``: heavy exports (data package, study report PDF, RO-Crate of a selection)
as background jobs on the ``exports`` queue. POST asks for one (the same selection, data and
code give the same job: 200 with it; a new one: 202), GET follows it, ``download/`` fetches the
built file (a content-addressed blob, re-hashed on the way out)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from labdb import models as m
from labdb.reports.selection import selection_of
from labdb.services.exports import export_request, export_visible
from labdb.storage import open_blob

SELECTION_KEYS = ("saved", "cells", "kind", "seed", "binder", "group", "conforming")


class SelectionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    saved = serializers.CharField(required=False, help_text="saved comparison name or UUID")
    cells = serializers.ListField(child=serializers.CharField(), required=False)
    kind = serializers.CharField(required=False, help_text="half or full")
    seed = serializers.CharField(required=False, help_text="seed set, e.g. Ag+Mg+Sn")
    binder = serializers.CharField(required=False)
    group = serializers.CharField(required=False)
    conforming = serializers.BooleanField(required=False, help_text="leave out deviating runs")


class ExportRequestSerializer(serializers.Serializer):  # type: ignore[type-arg]
    export = serializers.ChoiceField(choices=m.ExportJob.Kind.values)
    selection = SelectionSerializer()
    parameters = serializers.DictField(
        required=False, help_text="package only: publisher, license, related_doi"
    )


def export_payload(job: m.ExportJob, request: Request) -> dict[str, Any]:
    done = job.status == m.ExportJob.Status.SUCCEEDED
    return {
        "id": str(job.pk),
        "export": job.kind,
        "status": job.status,
        "progress": job.progress,
        "stage": job.stage,
        "error": job.error,
        "queued_at": job.queued_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "selection": job.selection,
        "inputs": job.inputs,
        "inputs_sha256": job.inputs_sha256,
        "parameters": job.parameters,
        "code_commit": job.code_commit,
        "export_version": job.export_version,
        "file_name": job.file_name,
        "content_type": job.content_type,
        "sha256": job.result_sha256,
        "size_bytes": job.result_size_bytes,
        "provenance": job.provenance,
        "url": request.build_absolute_uri(f"/api/v1/exports/{job.pk}/"),
        "download": request.build_absolute_uri(f"/api/v1/exports/{job.pk}/download/")
        if done
        else None,
    }


def _selection_query(data: dict[str, Any]) -> QueryDict:
    q = QueryDict(mutable=True)
    for key in SELECTION_KEYS:
        value = data.get(key)
        if value in (None, "", [], False):
            continue
        if isinstance(value, list):
            q.setlist(key, [str(v) for v in value])
        else:
            q[key] = "1" if value is True else str(value)
    return q


def _visible_job(request: Request, pk: Any) -> m.ExportJob:
    job = m.ExportJob.objects.filter(pk=pk).first()
    if job is None or not export_visible(job, request.user):
        raise Http404("no such export")
    return job


@extend_schema(
    summary="Ask for an export (data package, report PDF, RO-Crate) of a selection of cells",
    request=ExportRequestSerializer,
    responses={
        202: OpenApiResponse(OpenApiTypes.OBJECT, description="a new export job, queued"),
        200: OpenApiResponse(OpenApiTypes.OBJECT, description="the same export, asked before"),
        400: OpenApiResponse(OpenApiTypes.OBJECT, description="the field that is wrong"),
        404: OpenApiResponse(description="no such saved comparison"),
    },
    tags=["exports"],
)
@api_view(["POST"])
def export_create(request: Request) -> Response:
    form = ExportRequestSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    data = form.validated_data
    try:
        selection = selection_of(request.user, _selection_query(data["selection"]))
        job, created = export_request(
            kind=data["export"],
            selection=selection,
            user=request.user,
            parameters=data.get("parameters") or {},
        )
    except ValidationError as exc:
        return Response(exc.message_dict if hasattr(exc, "error_dict") else exc.messages, 400)
    job.refresh_from_db()  # an in-process run (no broker) has finished it already
    return Response(export_payload(job, request), status=202 if created else 200)


@extend_schema(
    summary="An export job: status, progress, provenance and the download address",
    responses={200: OpenApiTypes.OBJECT, 404: OpenApiResponse(description="no such export")},
    tags=["exports"],
)
@api_view(["GET"])
def export_detail(request: Request, pk: Any) -> Response:
    return Response(export_payload(_visible_job(request, pk), request))


@extend_schema(
    summary="The built export file (404 until it has succeeded)",
    responses={
        (200, "application/octet-stream"): OpenApiResponse(description="the file"),
        404: OpenApiResponse(description="no such export, or not built (yet)"),
    },
    tags=["exports"],
)
@api_view(["GET"])
def export_download(request: Request, pk: Any) -> FileResponse:
    job = _visible_job(request, pk)
    if job.status != m.ExportJob.Status.SUCCEEDED:
        raise Http404(f"the export is {job.status}, not ready to download")
    return FileResponse(
        open_blob(job.result_sha256),
        as_attachment=True,
        filename=job.file_name,
        content_type=job.content_type,
    )
