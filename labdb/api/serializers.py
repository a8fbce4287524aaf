"""What the API shows and accepts. Related records appear by label and are accepted by label or
UUID, among the records the requesting user may see. Serializers validate shape only: records
are saved by the catalog and ingest services (see ``labdb.api.services.record_write``)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Model, Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from labdb import models as m
from labdb.api.flags import PlausibilityFlagSerializer, flags_json
from labdb.api.selectors import METRIC_COLUMNS
from labdb.plausibility import metric_flags, result_flags
from labdb.selectors.access import AmbiguousLabel, one_by_key, visible


def _no_nul(value: Any, path: str = "") -> None:
    """Refuse NUL characters anywhere in JSON (PostgreSQL cannot store them)."""
    if isinstance(value, str) and "\x00" in value:
        raise serializers.ValidationError(f"{path or 'value'}: NUL characters are not allowed")
    if isinstance(value, dict):
        for k, v in value.items():
            _no_nul(str(k), path)
            _no_nul(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _no_nul(v, f"{path}[{i}]")


class SafeJSONField(serializers.JSONField):
    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        _no_nul(value)
        return value


@extend_schema_field(OpenApiTypes.STR)
class RecordField(serializers.RelatedField):  # type: ignore[type-arg]
    """A related record, shown by label; accepted by label or UUID (protocols also by name)."""

    default_error_messages = {
        "not_found": "no {model} {value!r} in your projects",
        "invalid": "expected the label or UUID of a {model}",
        "ambiguous": "{message}",
    }

    def __init__(self, model: type[Model], *, by_name: bool = False, **kwargs: Any) -> None:
        self.model = model
        self.by_name = by_name
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", model._default_manager.none())
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        request = self.context.get("request")
        return visible(self.model, request.user) if request else self.model._default_manager.none()

    def to_internal_value(self, data: Any) -> Any:
        name = self.model._meta.verbose_name
        if not isinstance(data, str | uuid.UUID) or not str(data) or "\x00" in str(data):
            self.fail("invalid", model=name)
        try:
            obj = one_by_key(
                self.get_queryset(), str(data), Q(name=str(data)) if self.by_name else None
            )
        except AmbiguousLabel as exc:
            self.fail("ambiguous", message=str(exc))
        if obj is None:
            self.fail("not_found", model=name, value=str(data))
        return obj

    def to_representation(self, value: Any) -> str:
        return str(getattr(value, "label", value))


class CatalogSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    project = RecordField(
        m.Project,
        required=False,
        help_text="label or UUID; may be left out by members of a single project",
    )
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, default=None, allow_null=True
    )

    base_fields = ("id", "label", "project")

    def get_validators(self) -> list[Any]:
        # Uniqueness and cross-field rules are the model's (full_clean in the services);
        # DRF's unique-together validators would make ``project`` required.
        return []

    tail_fields = ("notes", "created_at", "updated_at", "created_by")


class ProjectSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = m.Project
        fields = ("id", "label", "name", "description", "created_at")
        read_only_fields = fields


class MaterialSerializer(CatalogSerializer):
    class Meta:
        model = m.Material
        fields = (
            *CatalogSerializer.base_fields,
            "category",
            "name",
            "formula",
            *CatalogSerializer.tail_fields,
        )


class MaterialLotSerializer(CatalogSerializer):
    material = RecordField(m.Material)
    material_category = serializers.CharField(source="material.category", read_only=True)
    properties = SafeJSONField(required=False)

    class Meta:
        model = m.MaterialLot
        fields = (
            *CatalogSerializer.base_fields,
            "material",
            "material_category",
            "supplier",
            "lot_number",
            "received_date",
            "d10_nm",
            "d50_nm",
            "d90_nm",
            "purity_pct",
            "properties",
            *CatalogSerializer.tail_fields,
        )


class ComponentSerializer(serializers.Serializer):  # type: ignore[type-arg]
    lot = RecordField(m.MaterialLot)
    role = serializers.ChoiceField(choices=m.FormulationComponent.Role.choices)
    mass_fraction_pct = serializers.FloatField()


class FormulationSerializer(CatalogSerializer):
    solvent_lot = RecordField(m.MaterialLot, required=False, allow_null=True)
    previous_version = RecordField(m.Formulation, read_only=True, allow_null=True)
    components = ComponentSerializer(many=True)

    class Meta:
        model = m.Formulation
        fields = (
            *CatalogSerializer.base_fields,
            "name",
            "version",
            "solvent_lot",
            "solids_content_pct",
            "target_thickness_um",
            "previous_version",
            "components",
            *CatalogSerializer.tail_fields,
        )
        read_only_fields = ("version",)


class ProcessStepSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = m.ProcessStep
        fields = (
            "order",
            "kind",
            "method",
            "gap_um",
            "temperature_c",
            "duration_h",
            "atmosphere",
            "pressure_mpa",
            "speed_rpm",
            "notes",
        )
        read_only_fields = ("order",)


class ElectrodeBatchSerializer(CatalogSerializer):
    formulation = RecordField(m.Formulation)
    current_collector_lot = RecordField(m.MaterialLot)
    operator = serializers.CharField(
        source="operator.username", read_only=True, default=None, allow_null=True
    )
    steps = ProcessStepSerializer(many=True, required=False)

    class Meta:
        model = m.ElectrodeBatch
        fields = (
            *CatalogSerializer.base_fields,
            "formulation",
            "current_collector_lot",
            "measured_thickness_um",
            "areal_loading_mg_cm2",
            "made_on",
            "operator",
            "steps",
            *CatalogSerializer.tail_fields,
        )


class CellSerializer(CatalogSerializer):
    anode_batch = RecordField(m.ElectrodeBatch)
    formulation = serializers.CharField(source="anode_batch.formulation.label", read_only=True)
    lithium_lot = RecordField(m.MaterialLot, required=False, allow_null=True)
    cathode_lot = RecordField(m.MaterialLot, required=False, allow_null=True)
    cathode_coating_lot = RecordField(m.MaterialLot, required=False, allow_null=True)
    electrolyte_lot = RecordField(m.MaterialLot)
    operator = serializers.CharField(
        source="operator.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = m.Cell
        fields = (
            *CatalogSerializer.base_fields,
            "kind",
            "status",
            "anode_batch",
            "formulation",
            "lithium_lot",
            "cathode_lot",
            "cathode_coating_lot",
            "cathode_loading_mg_cm2",
            "electrolyte_lot",
            "electrolyte_thickness_um",
            "area_cm2",
            "stack_pressure_mpa",
            "assembled_on",
            "operator",
            *CatalogSerializer.tail_fields,
        )


class InstrumentSerializer(CatalogSerializer):
    class Meta:
        model = m.Instrument
        fields = (
            *CatalogSerializer.base_fields,
            "kind",
            "vendor",
            "model",
            "serial_number",
            "channels",
            *m.Instrument.ACCURACY_FIELDS,
            *CatalogSerializer.tail_fields,
        )


class TestProtocolSerializer(CatalogSerializer):
    parameters = SafeJSONField(required=False)

    class Meta:
        model = m.TestProtocol
        fields = (
            *CatalogSerializer.base_fields,
            "kind",
            "name",
            "parameters",
            "description",
            *CatalogSerializer.tail_fields,
        )


class TestRunSerializer(CatalogSerializer):
    __test__ = False

    label = serializers.CharField(
        max_length=120,
        required=False,
        help_text="generated as <cell>-<protocol>-<n> when left out",
    )
    cell = RecordField(m.Cell, required=False, allow_null=True)
    electrode_batch = RecordField(m.ElectrodeBatch, required=False, allow_null=True)
    protocol = RecordField(m.TestProtocol, by_name=True, help_text="label, name or UUID")
    protocol_name = serializers.CharField(source="protocol.name", read_only=True)
    protocol_kind = serializers.CharField(source="protocol.kind", read_only=True)
    instrument = RecordField(m.Instrument, required=False, allow_null=True)
    operator = serializers.CharField(
        source="operator.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = m.TestRun
        fields = (
            *CatalogSerializer.base_fields,
            "cell",
            "electrode_batch",
            "protocol",
            "protocol_name",
            "protocol_kind",
            "instrument",
            "channel",
            "started_at",
            "status",
            "operator",
            *CatalogSerializer.tail_fields,
        )


# --- data ------------------------------------------------------------------------------------


class JobLinkSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField()
    url = serializers.URLField()
    status = serializers.CharField()


def job_link(job: m.AnalysisJob | None, request: Any) -> dict[str, Any] | None:
    if job is None:
        return None
    return {
        "id": str(job.pk),
        "url": reverse("api:job-detail", kwargs={"pk": job.pk}, request=request),
        "status": job.status,
    }


class DataFileSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    test_run = serializers.CharField(source="test_run.label", read_only=True)
    uploaded_by = serializers.CharField(
        source="uploaded_by.username", read_only=True, default=None, allow_null=True
    )
    job = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = m.DataFile
        fields = (
            "id",
            "sha256",
            "size_bytes",
            "original_name",
            "format",
            "source",
            "test_run",
            "uploaded_by",
            "uploaded_at",
            "job",
            "download_url",
            "extends",
            "version",
        )
        read_only_fields = fields

    @extend_schema_field(JobLinkSerializer(allow_null=True))
    def get_job(self, obj: m.DataFile) -> dict[str, Any] | None:
        jobs = getattr(obj, "prefetched_jobs", None)
        job = (
            jobs[0]
            if jobs
            else (None if jobs is not None else obj.jobs.order_by("queued_at").first())
        )
        return job_link(job, self.context.get("request"))

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, obj: m.DataFile) -> str:
        return reverse(
            "api:file-download", kwargs={"pk": obj.pk}, request=self.context.get("request")
        )


class UploadSerializer(serializers.Serializer):  # type: ignore[type-arg]
    file = serializers.FileField(help_text="the raw instrument file (multipart)")
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$", help_text="sha256 of the file as the client computed it (hex)"
    )
    format = serializers.CharField(
        required=False, default="", max_length=40, help_text="reader name; detected when empty"
    )


class JobSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    url = serializers.HyperlinkedIdentityField(view_name="api:job-detail")
    file = serializers.UUIDField(source="data_file_id", read_only=True)
    test_run = serializers.CharField(source="data_file.test_run.label", read_only=True)
    requested_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        help_text="who asked for this analysis (null: asked for by the system on upload)",
    )

    class Meta:
        model = m.AnalysisJob
        fields = (
            "id",
            "url",
            "kind",
            "status",
            "progress",
            "error",
            "file",
            "test_run",
            "reader",
            "requested_by",
            "parameters",
            "analysis_version",
            "code_commit",
            "attempts",
            "queued_at",
            "started_at",
            "finished_at",
        )
        read_only_fields = fields


class RerunSerializer(serializers.Serializer):  # type: ignore[type-arg]
    parameters = SafeJSONField(
        required=False, default=dict, help_text="overrides merged into the job's parameters"
    )

    def validate_parameters(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError("expected an object of parameter overrides")
        return value


class ResultSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    job = serializers.UUIDField(source="job_id", read_only=True)
    test_run = serializers.CharField(source="test_run.label", read_only=True)
    implausible = serializers.SerializerMethodField(
        help_text="run metrics outside their physical range (the list leaves out per-cycle "
        "checks; the result's own page has them)"
    )

    class Meta:
        model = m.AnalysisResult
        fields = (
            "job",
            "test_run",
            "kind",
            "created_at",
            *METRIC_COLUMNS,
            "implausible",
            "conformance",
        )
        read_only_fields = fields

    @extend_schema_field(PlausibilityFlagSerializer(many=True))
    def get_implausible(self, obj: m.AnalysisResult) -> list[dict[str, Any]]:
        return flags_json(obj, metric_flags({c: getattr(obj, c) for c in METRIC_COLUMNS}))


#: what the result detail gives of :func:`labdb.selectors.uncertainty.cycling_bounds`
INSTRUMENT_BOUND_KEYS = ("instrument", "calibrated_on", "accuracy", "model")
INSTRUMENT_BOUND_KEYS += ("average_coulombic_efficiency", "cumulative_coulombic_efficiency")


class ResultDetailSerializer(ResultSerializer):
    summary = serializers.JSONField(read_only=True)
    instrument_bounds = serializers.SerializerMethodField(
        help_text="limits of error of the average and cumulative CE (fractions, +-) from the "
        "run's instrument's stated accuracy and calibration date (docs/statistics.md); null "
        "when the instrument states no current offset"
    )

    class Meta(ResultSerializer.Meta):
        fields = (*ResultSerializer.Meta.fields, "instrument_bounds", "summary")
        read_only_fields = fields

    @extend_schema_field(serializers.JSONField(allow_null=True))
    def get_instrument_bounds(self, obj: m.AnalysisResult) -> dict[str, Any] | None:
        from labdb.selectors.uncertainty import cycling_bounds

        bounds = cycling_bounds(obj)
        if bounds is None:
            return None
        full = bounds.to_dict()
        return {k: full[k] for k in INSTRUMENT_BOUND_KEYS}

    @extend_schema_field(PlausibilityFlagSerializer(many=True))
    def get_implausible(self, obj: m.AnalysisResult) -> list[dict[str, Any]]:
        return flags_json(obj, result_flags(obj))


class CycleRowSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A cycle's key values (capacities in mAh, CE as a fraction); further per-cycle values
    of the analysis follow as extra keys."""

    cycle = serializers.IntegerField()
    charge_capacity_mAh = serializers.FloatField(allow_null=True)
    discharge_capacity_mAh = serializers.FloatField(allow_null=True)
    plating_capacity_mAh = serializers.FloatField(allow_null=True)
    stripping_capacity_mAh = serializers.FloatField(allow_null=True)
    coulombic_efficiency = serializers.FloatField(allow_null=True)
