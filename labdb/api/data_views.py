"""Test runs with their files, cycles and metrics; files, analysis jobs and results.

Upload (``POST /test-runs/<id>/files/``) streams the body to a temporary file and from there into
the blob store while hashing; a checksum mismatch is a 400 and stores nothing, a body over the
limit a 413, the same content again the existing record (200) with no second job. A file that
cannot be parsed is still accepted (201): its job fails with the parser's message.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from labdb import models as m
from labdb.api import filters as f
from labdb.api import serializers as s
from labdb.api.eis_views import EISFitRowSerializer
from labdb.api.flags import FlagReviewMixin
from labdb.api.pagination import NewestFirstPagination
from labdb.api.permissions import check_instrument_binding, token_of
from labdb.api.renderers import TABLE_RENDERERS
from labdb.api.selectors import (
    cycle_rows,
    get_by_uuid,
    latest_result,
    metric_rows,
    visible_files,
    visible_jobs,
    visible_results,
)
from labdb.api.uploads import UploadTooLarge, prepare_streaming_upload
from labdb.api.views import ID_OR_LABEL, BoundInstrumentMixin, CatalogViewSet, create_test_run
from labdb.services.growing import BaseMismatch
from labdb.services.ingest import data_file_register
from labdb.services.jobs import job_rerun
from labdb.storage import BlobCorrupt, BlobTooLarge, ChecksumMismatch, open_blob


def table_action(func: Any) -> Any:
    """A GET on one record that answers a table (JSON, CSV or Parquet), unfiltered and unpaged.
    (A new ``action`` each time: DRF writes the view's name into the decorator's kwargs.)"""
    return action(
        detail=True,
        methods=["get"],
        renderer_classes=TABLE_RENDERERS,
        filter_backends=[],
        pagination_class=None,
    )(func)


UPLOAD_SOURCES = {"api": m.DataFile.Source.API, "harvester": m.DataFile.Source.HARVESTER}
JOB_PARAM = OpenApiParameter(
    "job",
    OpenApiTypes.UUID,
    OpenApiParameter.QUERY,
    description="the cycling job whose rows to give (default: the run's newest result)",
)


class UploadSourceSerializer(s.UploadSerializer):
    source = s.serializers.ChoiceField(
        choices=sorted(UPLOAD_SOURCES), required=False, default="api"
    )
    parameters = s.serializers.JSONField(
        required=False,
        default=dict,
        binary=True,
        help_text="analysis parameters over those of the protocol and cell, as a JSON object "
        '(e.g. {"cell_type": "half"} for a run without a cell); `python -m analysis '
        "pipelines` lists them",
    )

    extends = s.serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="append mode: the id of this run's file that `file` continues; `file` then "
        "holds only the bytes after its end and `sha256` is of the whole grown file",
    )
    offset = s.serializers.IntegerField(
        required=False,
        min_value=0,
        allow_null=True,
        default=None,
        help_text="append mode: the size in bytes of the `extends` file the bytes follow",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("extends") is None) != (attrs.get("offset") is None):
            raise s.serializers.ValidationError("`extends` and `offset` go together")
        return attrs

    def validate_parameters(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise s.serializers.ValidationError(
                'expected a JSON object such as {"cell_type": "half"}'
            )
        return value


class BaseConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "base_mismatch"


class UploadResponseSerializer(s.DataFileSerializer):
    created = s.serializers.BooleanField(
        read_only=True, help_text="false when the same file was already there"
    )
    analysis_refused = s.serializers.CharField(
        read_only=True,
        default="",
        help_text="why no analysis was queued (e.g. a cycling run without a cell or cell_type)",
    )

    class Meta(s.DataFileSerializer.Meta):
        fields = (*s.DataFileSerializer.Meta.fields, "created", "analysis_refused")
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="List test runs", tags=["test runs"]),
    retrieve=extend_schema(summary="Read a test run", tags=["test runs"], parameters=[ID_OR_LABEL]),
    create=extend_schema(
        summary="Create a test run (as an instrument)",
        description=(
            "`cell` (label or id), `protocol` (label, name or id), optional `instrument` and "
            "`channel`; the label is `<cell>-<protocol>-<n>` when left out. A token bound to "
            "an instrument creates runs on that instrument."
        ),
        tags=["test runs"],
    ),
    update=extend_schema(
        summary="Replace a test run", tags=["test runs"], parameters=[ID_OR_LABEL]
    ),
    partial_update=extend_schema(
        summary="Edit a test run", tags=["test runs"], parameters=[ID_OR_LABEL]
    ),
)
class TestRunViewSet(BoundInstrumentMixin, CatalogViewSet):
    __test__ = False

    model = m.TestRun
    serializer_class = s.TestRunSerializer
    filterset_class = f.TestRunFilter
    related = ("cell", "electrode_batch", "protocol", "instrument", "operator")
    search_fields = ("label", "cell__label", "protocol__name")
    ordering_fields = ("label", "started_at", "created_at")
    upload_read = frozenset({"list", "retrieve", "files"})
    upload_actions = frozenset({"create", "files"})

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return create_test_run(self, request)

    def get_queryset(self) -> Any:
        """An instrument-bound token lists only its instrument's runs (it may still read and
        upload to a run by its label or id, as check_instrument_binding allows)."""
        qs = super().get_queryset()
        token = token_of(self.request)
        if self.action == "list" and token is not None and token.instrument_id is not None:
            qs = qs.filter(instrument_id=token.instrument_id)
        return qs

    def perform_update(self, serializer: Any) -> None:
        if "instrument" in serializer.validated_data:
            serializer.validated_data["instrument"] = self.bound_instrument(
                serializer.validated_data["instrument"]
            )
        super().perform_update(serializer)

    @extend_schema(
        methods=["GET"],
        summary="List a test run's files",
        tags=["files"],
        parameters=[ID_OR_LABEL],
        responses=s.DataFileSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Upload a raw file to a test run",
        description=(
            "Multipart `file` and its `sha256`. 201 with the new file and its analysis job; "
            "200 with the existing record when the same content is already on the run (no "
            "second job); 400 on a checksum mismatch (nothing stored); 413 over the size limit. "
            "A file whose bytes continue an earlier file of the run is that file's next "
            "version (`extends`, `version`; checked by the sha256 of the prefix). Append mode "
            "(`extends` + `offset`): `file` holds only the new bytes; 409 when the base is not "
            "on the run or has another size (send the whole file then)."
        ),
        tags=["files"],
        parameters=[ID_OR_LABEL],
        request={"multipart/form-data": UploadSourceSerializer},
        responses={
            201: UploadResponseSerializer,
            200: UploadResponseSerializer,
            400: OpenApiResponse(description="invalid form or sha256 mismatch"),
            409: OpenApiResponse(description="append mode: the base file differs"),
            413: OpenApiResponse(description="larger than the upload limit"),
        },
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser],
        serializer_class=s.DataFileSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def files(self, request: Request, id_or_label: str) -> Response:
        run = self.get_object()
        if request.method == "GET":
            files = visible_files(request.user).filter(test_run=run).prefetch_related("jobs")
            return Response(
                s.DataFileSerializer(files, many=True, context={"request": request}).data
            )
        return self._upload(request, run)

    def _upload(self, request: Request, run: m.TestRun) -> Response:
        check_instrument_binding(request, run)
        prepare_streaming_upload(request)
        form = UploadSourceSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        base = None
        try:
            if form.validated_data["extends"] is not None:
                base = m.DataFile.objects.filter(
                    test_run=run, pk=form.validated_data["extends"]
                ).first()
                if base is None:
                    raise BaseMismatch(f"no file {form.validated_data['extends']} on this run")
            registered = data_file_register(
                test_run=run,
                chunks=upload.chunks(),
                base=base,
                offset=form.validated_data["offset"],
                original_name=upload.name or "",
                user=request.user,
                source=UPLOAD_SOURCES[form.validated_data["source"]],
                expected_sha256=form.validated_data["sha256"],
                format=form.validated_data["format"],
                parameters=form.validated_data["parameters"],
            )
        except ChecksumMismatch as exc:
            raise exceptions.ValidationError({"sha256": [str(exc)]}) from exc
        except BlobTooLarge as exc:
            raise UploadTooLarge(settings.MAX_UPLOAD_BYTES) from exc
        except (BaseMismatch, BlobCorrupt) as exc:
            raise BaseConflict(str(exc)) from exc
        finally:
            upload.close()
        registered.data_file.created = registered.created  # type: ignore[attr-defined]
        registered.data_file.analysis_refused = registered.analysis_refused  # type: ignore[attr-defined]
        data = UploadResponseSerializer(registered.data_file, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED if registered.created else 200)

    @extend_schema(
        summary="Per-cycle rows of a test run",
        description=(
            "One row per cycle of the run's newest cycling result: `cycle`, capacities in mAh, "
            "`coulombic_efficiency` as a fraction, then the analysis's other per-cycle values. "
            "`?format=csv` or `?format=parquet` for a table."
        ),
        tags=["results"],
        parameters=[ID_OR_LABEL, JOB_PARAM],
        responses=s.CycleRowSerializer(many=True),
    )
    @table_action
    def cycles(self, request: Request, id_or_label: str) -> Response:
        run = self.get_object()
        job = request.query_params.get("job")
        if job:
            result = get_by_uuid(visible_results(request.user).filter(test_run=run), job, "result")
        else:
            result = latest_result(run)
        return Response(cycle_rows(result))

    @extend_schema(
        summary="Run metrics of a test run",
        description="One row per analysis result of the run, newest first.",
        tags=["results"],
        parameters=[ID_OR_LABEL],
        responses=s.ResultSerializer(many=True),
    )
    @table_action
    def metrics(self, request: Request, id_or_label: str) -> Response:
        run = self.get_object()
        return Response(metric_rows(run.results.order_by("-created_at")))

    @extend_schema(
        summary="EIS fits of a test run",
        description=(
            "One row per spectrum of the run's newest EIS result: cycle / in-situ sequence / "
            "time labels, the circuit, Rb, RSEI and RCT in ohm and ohm cm2, the chi-square, the "
            "lin-KK check, and the reason for the model choice. `?format=csv` or "
            "`?format=parquet` for a table."
        ),
        tags=["results"],
        parameters=[ID_OR_LABEL],
        responses=EISFitRowSerializer(many=True),
    )
    @table_action
    def eis(self, request: Request, id_or_label: str) -> Response:
        run = self.get_object()
        result = run.results.filter(kind="eis").order_by("-created_at").first()
        if result is None:
            raise exceptions.NotFound(f"test run {run.label} has no EIS result")
        rows = [
            {
                "spectrum": fit.spectrum,
                "cycle": fit.cycle,
                "sequence": fit.sequence,
                "time_second": fit.time_second,
                "potential_volt": fit.potential_volt,
                "half_cycle": fit.half_cycle,
                "state": fit.state,
                "half_cycle_charge_ah": fit.half_cycle_charge_ah,
                "voltage_volt": fit.voltage_volt,
                "fit_success": fit.fit_success,
                "assignment_status": fit.assignment_status,
                "inductance_h": fit.inductance_h,
                "circuit": fit.circuit,
                "rb_ohm": fit.rb_ohm,
                "rsei_ohm": fit.rsei_ohm,
                "rct_ohm": fit.rct_ohm,
                "rb_ohm_cm2": fit.rb_ohm_cm2,
                "rsei_ohm_cm2": fit.rsei_ohm_cm2,
                "rct_ohm_cm2": fit.rct_ohm_cm2,
                "chi_square": fit.chi_square,
                "kk_valid": fit.kk.get("valid"),
                "model_reason": fit.model_reason,
                "parameters": fit.parameters,
                "standard_errors": fit.standard_errors,
            }
            for fit in result.spectra.order_by("spectrum")
        ]
        return Response(rows)


@extend_schema_view(
    list=extend_schema(summary="List raw files", tags=["files"]),
    retrieve=extend_schema(summary="Read a raw file's record", tags=["files"]),
)
class DataFileViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    serializer_class = s.DataFileSerializer
    filter_backends = (DjangoFilterBackend, OrderingFilter)
    filterset_class = f.DataFileFilter
    ordering_fields = ("uploaded_at", "size_bytes", "original_name")
    ordering = ("-uploaded_at",)
    upload_read = True

    def get_queryset(self) -> Any:
        return visible_files(self.request.user).prefetch_related("jobs")

    def get_object(self) -> m.DataFile:
        return get_by_uuid(self.get_queryset(), self.kwargs["pk"], "file")  # type: ignore[no-any-return]

    @extend_schema(
        summary="Download a raw file",
        tags=["files"],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str) -> FileResponse:
        data_file = self.get_object()
        return FileResponse(
            open_blob(data_file.sha256),  # re-hashed first: a damaged file is refused (503)
            as_attachment=True,
            filename=data_file.original_name,
            content_type="application/octet-stream",
        )


@extend_schema_view(
    list=extend_schema(summary="List analysis jobs", tags=["jobs"]),
    retrieve=extend_schema(
        summary="Read an analysis job",
        description=(
            "`status` is queued, running, succeeded, failed or superseded (a newer version of "
            "the same growing file was analysed instead); `error` says why it failed or what "
            "superseded it."
        ),
        tags=["jobs"],
    ),
)
class JobViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    serializer_class = s.JobSerializer
    filter_backends = (DjangoFilterBackend, OrderingFilter)
    filterset_class = f.JobFilter
    ordering_fields = ("queued_at", "finished_at", "status")
    ordering = ("-queued_at",)
    upload_read = frozenset({"list", "retrieve"})

    def get_queryset(self) -> Any:
        return visible_jobs(self.request.user)

    def get_object(self) -> m.AnalysisJob:
        return get_by_uuid(self.get_queryset(), self.kwargs["pk"], "job")  # type: ignore[no-any-return]

    @extend_schema(
        summary="Analyse the same file again with other parameters",
        description=(
            "The overrides are merged into the job's parameters. 201 with the new job; 200 "
            "with the existing job when that analysis was already requested. Old results stay."
        ),
        tags=["jobs"],
        request=s.RerunSerializer,
        responses={201: s.JobSerializer, 200: s.JobSerializer},
    )
    @action(detail=True, methods=["post"])
    def rerun(self, request: Request, pk: str) -> Response:
        from django.core.exceptions import ValidationError as DjangoValidationError

        from labdb.api.views import drf_error

        job = self.get_object()
        form = s.RerunSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            new, created = job_rerun(
                job=job, parameters=form.validated_data["parameters"], user=request.user
            )
        except DjangoValidationError as exc:
            raise drf_error(exc) from exc
        new.refresh_from_db()
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(s.JobSerializer(new, context={"request": request}).data, status=code)


@extend_schema_view(
    list=extend_schema(
        summary="List analysis results (run metrics)",
        description="Filter by metric ranges, e.g. `?initial_coulombic_efficiency_min=0.9`.",
        tags=["results"],
    ),
    retrieve=extend_schema(summary="Read an analysis result with its summary", tags=["results"]),
)
class ResultViewSet(FlagReviewMixin, viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    filter_backends = (DjangoFilterBackend, OrderingFilter)
    filterset_class = f.ResultFilter
    renderer_classes = TABLE_RENDERERS
    ordering_fields = ("created_at", *(rm.column for rm in m.RUN_METRICS if rm.filterable))
    ordering = ("-created_at",)
    pagination_class = NewestFirstPagination
    lookup_field = "job"
    lookup_url_kwarg = "job"

    def get_serializer_class(self) -> Any:
        return s.ResultDetailSerializer if self.action == "retrieve" else s.ResultSerializer

    def get_queryset(self) -> Any:
        return visible_results(self.request.user)

    def get_object(self) -> m.AnalysisResult:
        return get_by_uuid(self.get_queryset(), self.kwargs["job"], "result")  # type: ignore[no-any-return]
