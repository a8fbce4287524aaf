"""Alert pages: the bell (context processor), the list, one alert with its evidence, dismissing,
and a project's alert settings page (rules, e-mail recipients, webhook). Members of the project
only: another project's alert or settings page is not found (404)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from labdb import models as m
from labdb.selectors import alerts as sel
from labdb.selectors.access import get_visible, visible
from labdb.services.alerts import (
    alert_dismiss,
    alert_rule_save,
    alert_settings_for,
    alert_settings_save,
)


def alert_bell(request: HttpRequest) -> dict[str, Any]:
    """The unread count of the bell in the page header (templates/base.html)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"alert_unread": sel.unread_count(user)}


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    alerts = sel.alerts_for(request.user)
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        alerts = alerts.filter(dismissed=False)
    page = Paginator(alerts, 50).get_page(request.GET.get("page"))
    projects = visible(m.Project, request.user)
    return render(
        request,
        "alerts/list.html",
        {"page": page, "unread_only": unread_only, "projects": projects},
    )


def _get_alert(request: HttpRequest, pk: Any) -> m.Alert:
    return get_visible(m.Alert, request.user, str(pk))


@login_required
def alert_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    alert = _get_alert(request, pk)
    ev = dict(alert.evidence)
    return render(
        request,
        "alerts/detail.html",
        {
            "alert": alert,
            "evidence_rows": _evidence_rows(ev),
            "analysis_rules": ev.get("analysis_rules", []),
            "deliveries": sel.deliveries_of(alert),
            "dismissed": alert.dismissals.filter(user=request.user).exists(),
        },
    )


#: evidence keys shown in the table of an alert's page (the rest is in the JSON below it)
SHOWN = (
    ("cycle", "cycle"),
    ("cycles", "cycles"),
    ("coulombic_efficiency", "coulombic efficiency"),
    ("threshold", "threshold"),
    ("cycles_required", "cycles required"),
    ("capacity_retention", "capacity retention"),
    ("first_cycle_below", "first cycle below"),
    ("reference_cycle", "reference cycle"),
    ("temperature_celsius", "temperature (°C)"),
    ("min_celsius", "lowest allowed (°C)"),
    ("max_celsius", "highest allowed (°C)"),
    ("row", "row of the data file"),
    ("test_time_second", "test time (s)"),
    ("hours_without_data", "hours without data"),
    ("hours", "limit (h)"),
    ("last_data_at", "last data"),
    ("data_file_name", "data file"),
    ("analysis_version", "analysis version"),
    ("failure_mode", "failure mode"),
)


def _evidence_rows(ev: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(label, ev[key]) for key, label in SHOWN if ev.get(key) is not None]


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect(default)


@login_required
@require_POST
def alert_dismiss_view(request: HttpRequest, pk: Any) -> HttpResponse:
    alert_dismiss(alert=_get_alert(request, pk), user=request.user)
    return _back(request, "/alerts/")


@login_required
@require_POST
def alert_dismiss_all(request: HttpRequest) -> HttpResponse:
    for alert in sel.unread_for(request.user)[:500]:
        alert_dismiss(alert=alert, user=request.user)
    return _back(request, "/alerts/")


# --- a project's alert settings ----------------------------------------------------------


class AlertRuleForm(forms.ModelForm):  # type: ignore[type-arg]
    """A rule; CE and retention thresholds are entered in percent."""

    threshold_percent = forms.FloatField(
        required=False, label="Threshold (%)", help_text="CE or capacity retention, e.g. 98"
    )

    class Meta:
        model = m.AlertRule
        fields = ["kind", "cycles", "hours", "min_celsius", "max_celsius", "email", "webhook"]
        labels = {
            "cycles": "Cycles (N)",
            "hours": "Hours without data (T)",
            "min_celsius": "Lowest temperature (°C)",
            "max_celsius": "Highest temperature (°C)",
        }

    def _post_clean(self) -> None:
        pct = self.cleaned_data.get("threshold_percent")
        self.instance.threshold = None if pct is None else pct / 100
        super()._post_clean()

    def _update_errors(self, errors: ValidationError) -> None:
        """The model's ``threshold`` errors belong to the percent field of this form."""
        if hasattr(errors, "error_dict") and "threshold" in errors.error_dict:
            errors.error_dict["threshold_percent"] = errors.error_dict.pop("threshold")
        super()._update_errors(errors)


class AlertSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    webhook_url = forms.URLField(
        required=False, max_length=500, assume_scheme="https", label="Webhook URL"
    )

    class Meta:
        model = m.ProjectAlertSettings
        fields = ["email_to", "webhook_url"]
        widgets = {"email_to": forms.Textarea(attrs={"rows": 3})}
        labels = {"email_to": "E-mail recipients", "webhook_url": "Webhook URL"}


@login_required
def project_alerts(request: HttpRequest, label: str) -> HttpResponse:
    project = get_visible(m.Project, request.user, label)
    conf = alert_settings_for(project)
    rule_form = AlertRuleForm(prefix="rule")
    settings_form = AlertSettingsForm(instance=conf, prefix="conf")
    if request.method == "POST":
        action = request.POST.get("action", "")
        here = f"/projects/{project.label}/alerts/"
        if action == "add-rule":
            rule_form = AlertRuleForm(
                request.POST, prefix="rule", instance=m.AlertRule(project=project)
            )
            if rule_form.is_valid():
                alert_rule_save(rule=rule_form.instance, user=request.user)
                messages.success(request, f"Rule added: {rule_form.instance.describe()}")
                return redirect(here)
        elif action == "toggle-rule":
            rule = sel.rules_of(project).filter(pk=request.POST.get("rule")).first()
            if rule is not None:
                rule.enabled = not rule.enabled
                alert_rule_save(rule=rule, user=request.user)
                state = "enabled" if rule.enabled else "disabled"
                messages.success(request, f"Rule {state}: {rule.describe()}")
            return redirect(here)
        elif action == "settings":
            settings_form = AlertSettingsForm(request.POST, instance=conf, prefix="conf")
            if settings_form.is_valid():
                try:
                    alert_settings_save(conf=settings_form.instance, user=request.user)
                except ValidationError as exc:
                    settings_form.add_error(None, exc)
                else:
                    messages.success(request, "Delivery settings saved.")
                    return redirect(here)
        elif action == "new-secret":
            alert_settings_save(conf=conf, user=request.user, new_secret=True)
            messages.success(request, "A new webhook secret was made; give it to the receiver.")
            return redirect(here)
    return render(
        request,
        "alerts/project.html",
        {
            "project": project,
            "rules": sel.rules_of(project),
            "rule_form": rule_form,
            "settings_form": settings_form,
            "conf": conf,
        },
    )
