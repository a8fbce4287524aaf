"""Alerts on test runs: rules per project, evaluated when a result is stored and by a periodic
sweep, delivered on the web, by e-mail and by signed webhook (docs/alerts.md)."""

from labdb.services.alerts.configure import (
    alert_dismiss,
    alert_rule_save,
    alert_settings_for,
    alert_settings_save,
)
from labdb.services.alerts.delivery import alert_payload, delivery_attempt, signature
from labdb.services.alerts.raising import (
    alert_raise,
    alerts_after_result,
    alerts_evaluate_result,
    alerts_sweep,
    delivery_send,
)

__all__ = [
    "alert_dismiss",
    "alert_payload",
    "alert_raise",
    "alert_rule_save",
    "alert_settings_for",
    "alert_settings_save",
    "alerts_after_result",
    "alerts_evaluate_result",
    "alerts_sweep",
    "delivery_attempt",
    "delivery_send",
    "signature",
]
