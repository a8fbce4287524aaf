"""``/api/v1/eis-spectra/``: every stored EIS spectrum fit the user may see, filterable by the
fit's success, the RSEI/RCT assignment status, the presence of an inductance, the in-situ
state and the run, cell or result; and its DRT as a table (``drt/``: one spectrum, or every
filtered spectrum in long form), JSON, CSV or Parquet.

Every row names its result (the job id: the job names the input file, its parsed table, the
parameters and the code version), so each exported number is traceable.
"""

from __future__ import annotations

from typing import Any

import django_filters.rest_framework as df
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from labdb import models as m
from labdb.api.renderers import TABLE_RENDERERS
from labdb.api.selectors import visible_results


class EISFitRowSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One spectrum's fit (documents the `eis/` rows)."""

    spectrum = serializers.IntegerField()
    cycle = serializers.IntegerField(allow_null=True)
    sequence = serializers.IntegerField(allow_null=True)
    time_second = serializers.FloatField(allow_null=True)
    potential_volt = serializers.FloatField(allow_null=True)
    half_cycle = serializers.IntegerField(allow_null=True)
    state = serializers.CharField()
    half_cycle_charge_ah = serializers.FloatField(allow_null=True)
    voltage_volt = serializers.FloatField(allow_null=True)
    fit_success = serializers.BooleanField(allow_null=True)
    assignment_status = serializers.CharField()
    inductance_h = serializers.FloatField(allow_null=True)
    circuit = serializers.CharField()
    rb_ohm = serializers.FloatField(allow_null=True)
    rsei_ohm = serializers.FloatField(allow_null=True)
    rct_ohm = serializers.FloatField(allow_null=True)
    rb_ohm_cm2 = serializers.FloatField(allow_null=True)
    rsei_ohm_cm2 = serializers.FloatField(allow_null=True)
    rct_ohm_cm2 = serializers.FloatField(allow_null=True)
    chi_square = serializers.FloatField(allow_null=True)
    kk_valid = serializers.BooleanField(allow_null=True)
    model_reason = serializers.CharField()
    parameters = serializers.DictField(child=serializers.FloatField(allow_null=True))
    standard_errors = serializers.DictField(child=serializers.FloatField(allow_null=True))


class EISSpectrumSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """One stored spectrum fit with its labels (cycle, in-situ sequence, state, charge since
    the half-cycle began, cell voltage) and the resistances."""

    result = serializers.CharField(source="result.job_id", help_text="the job's id")
    test_run = serializers.CharField(source="result.test_run.label")
    kk_valid = serializers.SerializerMethodField()

    class Meta:
        model = m.EISSpectrumFit
        fields = (
            "id",
            "result",
            "test_run",
            "spectrum",
            "cycle",
            "sequence",
            "time_second",
            "half_cycle",
            "state",
            "half_cycle_charge_ah",
            "voltage_volt",
            "potential_volt",
            "current_ampere",
            "circuit",
            "fit_success",
            "assignment_status",
            "inductance_h",
            "rb_ohm",
            "rsei_ohm",
            "rct_ohm",
            "rb_ohm_cm2",
            "rsei_ohm_cm2",
            "rct_ohm_cm2",
            "chi_square",
            "kk_valid",
            "model_reason",
        )

    def get_kk_valid(self, fit: m.EISSpectrumFit) -> bool | None:
        valid = (fit.kk or {}).get("valid")
        return valid if isinstance(valid, bool) else None


class EISSpectrumFilter(df.FilterSet):
    result = df.UUIDFilter(field_name="result__job_id", help_text="the result's job id")
    test_run = df.CharFilter(field_name="result__test_run__label", help_text="test run label")
    cell = df.CharFilter(field_name="result__test_run__cell__label", help_text="cell label")
    has_inductance = df.BooleanFilter(
        field_name="inductance_h",
        lookup_expr="isnull",
        exclude=True,
        help_text="true: fits whose circuit has a series inductance",
    )
    rct_ohm_min = df.NumberFilter(field_name="rct_ohm", lookup_expr="gte")
    rct_ohm_max = df.NumberFilter(field_name="rct_ohm", lookup_expr="lte")

    class Meta:
        model = m.EISSpectrumFit
        fields = ("fit_success", "assignment_status", "state", "half_cycle", "cycle", "sequence")


def drt_rows(fits: QuerySet[m.EISSpectrumFit]) -> list[dict[str, Any]]:
    """The DRT of each spectrum in long form: one row per (spectrum, tau) with gamma and the
    spectrum's labels (cycle, sequence, half-cycle, state, time), R_inf, L and regularisation
    (the same for every tau of a spectrum)."""
    rows: list[dict[str, Any]] = []
    for fit in fits.select_related("result"):
        drt = fit.drt or {}
        for tau, gamma in zip(drt.get("tau_s") or [], drt.get("gamma_ohm") or [], strict=True):
            rows.append(
                {
                    "result": str(fit.result.job_id),
                    "spectrum": fit.spectrum,
                    "cycle": fit.cycle,
                    "sequence": fit.sequence,
                    "half_cycle": fit.half_cycle,
                    "state": fit.state,
                    "time_second": fit.time_second,
                    "tau_s": tau,
                    "gamma_ohm": gamma,
                    "r_inf_ohm": drt.get("r_inf_ohm"),
                    "inductance_h": drt.get("inductance_h"),
                    "regularization": drt.get("regularization"),
                    "regularization_choice": drt.get("regularization_choice"),
                }
            )
    return rows


class DRTRowSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One point of a spectrum's distribution of relaxation times (documents `drt/`)."""

    result = serializers.CharField()
    spectrum = serializers.IntegerField()
    cycle = serializers.IntegerField(allow_null=True)
    sequence = serializers.IntegerField(allow_null=True)
    half_cycle = serializers.IntegerField(allow_null=True)
    state = serializers.CharField()
    time_second = serializers.FloatField(allow_null=True)
    tau_s = serializers.FloatField()
    gamma_ohm = serializers.FloatField()
    r_inf_ohm = serializers.FloatField(allow_null=True)
    inductance_h = serializers.FloatField(allow_null=True)
    regularization = serializers.FloatField(allow_null=True)
    regularization_choice = serializers.CharField(allow_null=True)


@extend_schema_view(
    list=extend_schema(
        summary="List EIS spectrum fits",
        description=(
            "Filter with e.g. `?fit_success=false`, `?assignment_status=ambiguous`, "
            "`?has_inductance=true`, `?state=plating`, `?cell=MgAgSn-P-HC2`."
        ),
        tags=["results"],
    ),
    retrieve=extend_schema(summary="Read an EIS spectrum fit", tags=["results"]),
)
class EISSpectrumViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    serializer_class = EISSpectrumSerializer
    filter_backends = (DjangoFilterBackend, OrderingFilter)
    filterset_class = EISSpectrumFilter
    ordering_fields = ("spectrum", "time_second", "rct_ohm", "rsei_ohm")
    ordering = ("result", "spectrum")

    def get_queryset(self) -> Any:
        return m.EISSpectrumFit.objects.filter(
            result__in=visible_results(self.request.user)
        ).select_related("result__test_run")

    @extend_schema(
        operation_id="eis_spectra_drt_of_one",
        summary="DRT of one spectrum",
        description="tau (s) and gamma (ohm) with R_inf, L and the regularisation; "
        "`?format=csv` or `?format=parquet` for a file.",
        tags=["results"],
        responses=DRTRowSerializer(many=True),
    )
    @action(detail=True, methods=["get"], renderer_classes=TABLE_RENDERERS)
    def drt(self, request: Request, pk: str) -> Response:
        fit = self.get_object()
        return Response(drt_rows(m.EISSpectrumFit.objects.filter(pk=fit.pk)))

    @extend_schema(
        operation_id="eis_spectra_drt_of_all",
        summary="DRT of every filtered spectrum (long form)",
        description="The same filters as the list, e.g. `?result=<job>` for a whole series.",
        tags=["results"],
        responses=DRTRowSerializer(many=True),
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="drt",
        renderer_classes=TABLE_RENDERERS,
        pagination_class=None,
    )
    def drt_table(self, request: Request) -> Response:
        return Response(drt_rows(self.filter_queryset(self.get_queryset())))
