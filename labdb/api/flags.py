"""Plausibility flags in the API: each implausible value (labdb/plausibility.py, docs/web.md)
with its standing acceptance, and the actions that accept one with a reason or withdraw the
acceptance (``POST /api/v1/results/<job>/accept/`` and ``.../withdraw/``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from labdb import models as m
from labdb.plausibility import Flag
from labdb.selectors.results import accepted_flags
from labdb.services.reviews import flag_accept, flag_withdraw


class AcceptanceSerializer(serializers.Serializer):  # type: ignore[type-arg]
    by = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField()
    reason = serializers.CharField()


class PlausibilityFlagSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A value outside its declared physical range (labdb/plausibility.py, docs/web.md)."""

    metric = serializers.CharField(help_text="run-metric column or per-cycle column")
    value = serializers.FloatField(help_text="the value (the worst one for per-cycle columns)")
    rule = serializers.CharField()
    cause = serializers.CharField(help_text="the likely cause")
    cycles = serializers.ListField(child=serializers.IntegerField(), help_text="first cycles")
    cycle_count = serializers.IntegerField(help_text="how many cycles break the rule")
    accepted = AcceptanceSerializer(
        allow_null=True,
        help_text="null: left out of group statistics; else who accepted it, when and why",
    )


def flags_json(result: m.AnalysisResult, flags: list[Flag]) -> list[dict[str, Any]]:
    """The flags as the API gives them, each with its standing acceptance (or null)."""
    accepted = accepted_flags([result]).get(result.pk, {}) if flags else {}
    out = []
    for f in flags:
        a = accepted.get(f.metric)
        out.append(
            {
                **f.to_dict(),
                "accepted": None
                if a is None
                else {
                    "by": str(a.accepted_by) if a.accepted_by else None,
                    "at": a.accepted_at.isoformat(),
                    "reason": a.reason,
                },
            }
        )
    return out


class FlagDecisionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    metric = serializers.CharField(help_text="the flag's metric, as listed in `implausible`")
    reason = serializers.CharField(help_text="why (required, recorded in the audit trail)")


class FlagReviewMixin:
    """The accept/withdraw actions of the results endpoint."""

    def _decide(self, request: Request, accept: bool) -> Response:
        result: m.AnalysisResult = self.get_object()  # type: ignore[attr-defined]
        form = FlagDecisionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        metric, reason = form.validated_data["metric"], form.validated_data["reason"]
        try:
            if accept:
                flag_accept(result=result, metric=metric, reason=reason, user=request.user)
            else:
                standing = result.flag_acceptances.filter(
                    metric=metric, withdrawn_at__isnull=True
                ).first()
                if standing is None:
                    raise DjangoValidationError({"metric": f"{metric} is not accepted"})
                flag_withdraw(acceptance=standing, reason=reason, user=request.user)
        except DjangoValidationError as exc:
            detail = (
                exc.message_dict
                if hasattr(exc, "error_dict")
                else {"non_field_errors": exc.messages}
            )
            raise DRFValidationError(detail) from exc
        from labdb.plausibility import result_flags

        return Response(
            {"implausible": flags_json(result, result_flags(result))},
            status=status.HTTP_201_CREATED if accept else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="Accept an implausible value with a reason",
        description="From then on it counts in group statistics. Audited on the test run.",
        tags=["results"],
        request=FlagDecisionSerializer,
        responses={201: PlausibilityFlagSerializer(many=True)},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, job: str) -> Response:
        return self._decide(request, accept=True)

    @extend_schema(
        summary="Withdraw the acceptance of an implausible value",
        description="It is left out of group statistics again. Audited on the test run.",
        tags=["results"],
        request=FlagDecisionSerializer,
        responses={200: PlausibilityFlagSerializer(many=True)},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, job: str) -> Response:
        return self._decide(request, accept=False)
