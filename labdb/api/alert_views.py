"""``/api/v1/alerts/``, ``/api/v1/alert-rules/`` and ``/api/v1/alert-settings/``: the user's
alerts (dismissable), the rules of their projects and where alerts go. Another project's alert,
rule or settings are not found (404)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from labdb import models as m
from labdb.api.views import drf_error
from labdb.selectors import alerts as sel
from labdb.selectors.access import projects_for, visible
from labdb.services.alerts import (
    alert_dismiss,
    alert_rule_save,
    alert_settings_for,
    alert_settings_save,
)


class ProjectField(serializers.SlugRelatedField):  # type: ignore[type-arg]
    """A project by label, among the requesting user's projects."""

    def get_queryset(self) -> QuerySet[m.Project]:
        return projects_for(self.context["request"].user)


class AlertSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    project = serializers.SlugRelatedField(slug_field="label", read_only=True)
    test_run = serializers.SlugRelatedField(slug_field="label", read_only=True)
    test_run_id = serializers.UUIDField(read_only=True)
    rule = serializers.CharField(source="rule.describe", read_only=True)
    kind = serializers.CharField(source="rule.kind", read_only=True)
    dismissed = serializers.BooleanField(read_only=True)

    class Meta:
        model = m.Alert
        fields = (
            "id", "project", "kind", "rule", "rule_id", "test_run", "test_run_id", "result",
            "cycle", "event_key", "message", "evidence", "created_at", "dismissed",
        )  # fmt: skip
        read_only_fields = fields


class AlertRuleSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    project = ProjectField(slug_field="label")
    description = serializers.CharField(source="describe", read_only=True)

    class Meta:
        model = m.AlertRule
        fields = (
            "id", "project", "kind", "description", "threshold", "cycles", "hours",
            "min_celsius", "max_celsius", "email", "webhook", "enabled", "created_at",
        )  # fmt: skip
        read_only_fields = ("id", "description", "created_at")


class AlertSettingsSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    project = serializers.SlugRelatedField(slug_field="label", read_only=True)
    new_secret = serializers.BooleanField(write_only=True, required=False, default=False)

    class Meta:
        model = m.ProjectAlertSettings
        fields = ("project", "email_to", "webhook_url", "webhook_secret", "new_secret")
        read_only_fields = ("project", "webhook_secret")


@extend_schema_view(
    list=extend_schema(summary="List your alerts (newest first)", tags=["alerts"]),
    retrieve=extend_schema(summary="Read an alert with its evidence", tags=["alerts"]),
)
class AlertViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    serializer_class = AlertSerializer

    def get_queryset(self) -> QuerySet[m.Alert]:
        qs = sel.alerts_for(self.request.user)
        params = self.request.query_params
        if params.get("unread") in ("1", "true"):
            qs = qs.filter(dismissed=False)
        run = params.get("test_run")
        if run:
            try:
                qs = qs.filter(test_run_id=uuid.UUID(run))
            except ValueError:
                qs = qs.filter(test_run__label=run)
        return qs

    @extend_schema(summary="Dismiss an alert (for you)", tags=["alerts"], request=None)
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: Any = None) -> Response:
        alert = self.get_object()
        alert_dismiss(alert=alert, user=request.user)
        return Response({"id": str(alert.pk), "dismissed": True})


@extend_schema_view(
    list=extend_schema(summary="List the alert rules of your projects", tags=["alerts"]),
    retrieve=extend_schema(summary="Read an alert rule", tags=["alerts"]),
    create=extend_schema(summary="Add an alert rule", tags=["alerts"]),
    update=extend_schema(summary="Replace an alert rule", tags=["alerts"]),
    partial_update=extend_schema(summary="Edit an alert rule", tags=["alerts"]),
)
class AlertRuleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Rules are never deleted (their alerts point at them): disable one with enabled=false."""

    serializer_class = AlertRuleSerializer

    def get_queryset(self) -> QuerySet[m.AlertRule]:
        return visible(m.AlertRule, self.request.user).select_related("project")

    def _save(self, serializer: Any, instance: m.AlertRule) -> None:
        for key, value in serializer.validated_data.items():
            setattr(instance, key, value)
        try:
            serializer.instance = alert_rule_save(rule=instance, user=self.request.user)
        except DjangoValidationError as exc:
            raise drf_error(exc) from exc

    def perform_create(self, serializer: Any) -> None:
        self._save(serializer, m.AlertRule())

    def perform_update(self, serializer: Any) -> None:
        project = serializer.validated_data.get("project")
        if project is not None and project.pk != serializer.instance.project_id:
            raise exceptions.ValidationError({"project": "a rule cannot move to another project"})
        self._save(serializer, serializer.instance)


@extend_schema_view(
    list=extend_schema(summary="Where your projects' alerts go", tags=["alerts"]),
    retrieve=extend_schema(summary="Read a project's alert delivery", tags=["alerts"]),
    partial_update=extend_schema(summary="Edit a project's alert delivery", tags=["alerts"]),
)
class AlertSettingsViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """One per project, looked up by the project's label."""

    serializer_class = AlertSettingsSerializer
    lookup_field = "project__label"
    lookup_url_kwarg = "project"
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[m.ProjectAlertSettings]:
        for project in projects_for(self.request.user):
            alert_settings_for(project)
        return m.ProjectAlertSettings.objects.filter(
            project__in=projects_for(self.request.user)
        ).select_related("project")

    def perform_update(self, serializer: Any) -> None:
        new_secret = serializer.validated_data.pop("new_secret", False)
        conf = serializer.instance
        for key, value in serializer.validated_data.items():
            setattr(conf, key, value)
        try:
            serializer.instance = alert_settings_save(
                conf=conf, user=self.request.user, new_secret=new_secret
            )
        except DjangoValidationError as exc:
            raise drf_error(exc) from exc
