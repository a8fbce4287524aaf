"""Django admin for every model (staff only). Catalog edits go through the same service as
the web forms, so validation and history apply here too; deletes, one or many at once, are
recorded in the history before the rows go."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from labdb import models as m
from labdb.services.catalog import record_save
from labdb.services.history import history_deleted
from labdb.web.forms import ComponentFormSet


class CatalogAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("label", "project", "created_at")
    search_fields = ("label",)
    list_filter = ("project",)
    readonly_fields = ("id", "created_at", "updated_at", "created_by")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        record_save(record=obj, user=request.user)

    @transaction.atomic
    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        history_deleted(record=obj, user=request.user)
        super().delete_model(request, obj)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """The "delete selected" action: one history entry per record."""
        for obj in queryset.select_related("project"):
            history_deleted(record=obj, user=request.user)
        super().delete_queryset(request, queryset)


class ComponentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = m.FormulationComponent
    formset = ComponentFormSet  # the same 100 wt% rule as the web form
    extra = 0


class StepInline(admin.TabularInline):  # type: ignore[type-arg]
    model = m.ProcessStep
    extra = 0


@admin.register(m.Formulation)
class FormulationAdmin(CatalogAdmin):
    """A formulation used by an electrode batch is frozen: the admin shows it read-only (new
    versions are made from the web form, which keeps the old version)."""

    inlines = [ComponentInline]
    list_display = ("label", "name", "version", "project")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_frozen:
            return False
        return super().has_change_permission(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Raw files, parsed tables, jobs and results are written only by the pipeline."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


for model in (
    m.DataFile,
    m.ParsedTable,
    m.AnalysisJob,
    m.AnalysisResult,
    m.CycleResult,
    m.EISSpectrumFit,
    m.StorageCheck,
    m.Attachment,
    m.ApiToken,  # created and revoked on /tokens/ (the key is shown once there)
):
    admin.site.register(model, ReadOnlyAdmin)


@admin.register(m.AuthFailureWindow)
class AuthFailureWindowAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Failed API authentication per client address ("<address>") and per key prefix from an
    address ("<address> <prefix>"): viewable, and deletable to lift a throttle."""

    list_display = ("ip", "count", "started_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(m.ElectrodeBatch)
class ElectrodeBatchAdmin(CatalogAdmin):
    inlines = [StepInline]


for model in (m.Material, m.MaterialLot, m.Cell, m.Instrument, m.TestProtocol, m.TestRun):
    admin.site.register(model, CatalogAdmin)


@admin.register(m.HistoryEntry)
class HistoryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("at", "record_type", "record_label", "action", "user")
    list_filter = ("record_type", "action")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


for model in (m.Project, m.Membership, m.UserProfile):
    admin.site.register(model)


@admin.register(m.AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Rules are saved through the alerts service (validated and audited)."""

    list_display = ("project", "kind", "threshold", "cycles", "hours", "enabled")
    list_filter = ("project", "kind", "enabled")
    exclude = ("created_by",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from labdb.services.alerts import alert_rule_save

        alert_rule_save(rule=obj, user=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # disable a rule instead: its alerts keep pointing at it


@admin.register(m.ProjectAlertSettings)
class ProjectAlertSettingsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("project", "webhook_url")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from labdb.services.alerts import alert_settings_save

        alert_settings_save(conf=obj, user=request.user)


for model in (m.Alert, m.AlertDelivery):
    admin.site.register(model, ReadOnlyAdmin)
