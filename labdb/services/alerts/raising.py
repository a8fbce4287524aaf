"""Raising alerts: evaluate a project's rules on a stored result (after the job's transaction
committed) and in the periodic sweep; one alert per (rule, test run, event key), audited, with
a delivery per channel sent to the workers once the alert is committed."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import current_app
from django.db import IntegrityError, transaction
from django.utils import timezone

from labdb import models as m
from labdb.services.alerts.rules import Event, events_for_result, no_data_event
from labdb.services.audit import audit

log = logging.getLogger(__name__)

#: the Celery task that sends one delivery (labdb.tasks)
DELIVER_TASK = "labdb.deliver_alert"
#: the sweep re-evaluates results stored this recently (an evaluation lost with its worker)
RECENT_RESULTS = dt.timedelta(hours=1)


def alerts_after_result(result_id: Any) -> list[m.Alert]:
    """Evaluate the rules on a just-stored result (called on commit of the job's transaction).
    Never raises: an alert problem must not fail or retry the analysis job (the sweep
    evaluates recent results again)."""
    try:
        return alerts_evaluate_result(result_id)
    except Exception:
        log.exception("alerts: evaluating result %s failed; the sweep tries again", result_id)
        return []


def alerts_evaluate_result(result_id: Any) -> list[m.Alert]:
    """The alerts newly raised by the enabled rules of the result's project (an event already
    alerted is not raised again)."""
    result = m.AnalysisResult.objects.select_related(
        "test_run", "job__data_file", "job__parsed_table"
    ).get(pk=result_id)
    rules = m.AlertRule.objects.filter(project_id=result.test_run.project_id, enabled=True).exclude(
        kind=m.AlertRule.Kind.NO_DATA
    )
    raised = []
    for rule in rules:
        for event in events_for_result(rule, result):
            alert = alert_raise(rule=rule, test_run=result.test_run, result=result, event=event)
            if alert is not None:
                raised.append(alert)
    return raised


def alert_raise(
    *, rule: m.AlertRule, test_run: m.TestRun, result: m.AnalysisResult | None, event: Event
) -> m.Alert | None:
    """Record ``event`` as an alert (None if this event of this rule and run already is one),
    with its audit entry and its deliveries."""
    key = {"rule": rule, "test_run": test_run, "event_key": event.key[:120]}
    if m.Alert.objects.filter(**key).exists():
        return None
    evidence = {
        **event.evidence,
        "rule": {
            "id": str(rule.pk),
            "kind": rule.kind,
            "description": rule.describe(),
            **rule_parameters(rule),
        },
        "test_run": {"id": str(test_run.pk), "label": test_run.label},
        "cell": {"id": str(test_run.cell_id), "label": test_run.cell.label}
        if test_run.cell_id
        else None,
    }
    try:
        with transaction.atomic():
            alert = m.Alert.objects.create(
                project_id=test_run.project_id,
                result=result,
                cycle=event.cycle,
                message=event.message,
                evidence=evidence,
                **key,
            )
            audit(
                project=alert.project,
                action="alert.raised",
                user=None,
                target=alert,
                details={
                    "message": alert.message,
                    "event_key": alert.event_key,
                    "cycle": alert.cycle,
                    "rule": evidence["rule"],
                    "result": str(result.pk) if result else None,
                },
            )
            deliveries = _plan_deliveries(alert, rule)
    except IntegrityError:
        return None  # raised at the same moment by another worker
    ids = [str(d.pk) for d in deliveries]
    transaction.on_commit(lambda: [delivery_send(i, inline=True) for i in ids])
    return alert


def rule_parameters(rule: m.AlertRule) -> dict[str, Any]:
    names = ("threshold", "cycles", "hours", "min_celsius", "max_celsius")
    return {n: getattr(rule, n) for n in names if getattr(rule, n) is not None}


def email_recipients(project: m.Project) -> list[str]:
    """The project's configured addresses, else every member's e-mail address."""
    conf = m.ProjectAlertSettings.objects.filter(project=project).first()
    if conf is not None and conf.addresses():
        return conf.addresses()
    return sorted(
        {
            ms.user.email
            for ms in project.memberships.select_related("user")
            if ms.user.email and ms.user.is_active
        }
    )


def _plan_deliveries(alert: m.Alert, rule: m.AlertRule) -> list[m.AlertDelivery]:
    planned = []
    Channel = m.AlertDelivery.Channel
    if rule.email:
        to = email_recipients(alert.project)
        if to:
            planned.append(
                m.AlertDelivery(alert=alert, channel=Channel.EMAIL, target=", ".join(to))
            )
    conf = m.ProjectAlertSettings.objects.filter(project_id=alert.project_id).first()
    if rule.webhook and conf is not None and conf.webhook_url:
        planned.append(
            m.AlertDelivery(alert=alert, channel=Channel.WEBHOOK, target=conf.webhook_url)
        )
    for d in planned:
        d.next_attempt_at = timezone.now()
        d.save()
    return planned


def delivery_send(
    delivery_id: str,
    countdown: float | None = None,
    *,
    now: dt.datetime | None = None,
    inline: bool = False,
) -> None:
    """Attempt a delivery here (``inline``: the first attempt, made by the process that raised
    the alert once it is committed, so it never waits behind queued analyses) or hand it to the
    workers, after ``countdown`` seconds for a retry. A failed inline attempt is retried by a
    worker after its backoff. Without a broker (tasks in-process) retries wait for the sweep,
    so a dead receiver never holds up a request. Errors are logged, never raised: the sweep
    sends every due delivery again."""
    from labdb.services.alerts.delivery import delivery_attempt

    eager = bool(current_app.conf.task_always_eager)
    try:
        if inline or (eager and countdown is None):
            wait = delivery_attempt(delivery_id, now=now)
            if wait is not None and not eager:
                current_app.send_task(DELIVER_TASK, args=[delivery_id], countdown=wait)
            return
        if eager:
            return
        options: dict[str, Any] = {"countdown": countdown} if countdown else {}
        current_app.send_task(DELIVER_TASK, args=[delivery_id], **options)
    except Exception:
        log.exception("alerts: could not send delivery %s; the sweep sends it", delivery_id)


def alerts_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic check (beat): raise "no new data" alerts, evaluate recent results again
    (an evaluation lost with its worker) and send the deliveries whose next attempt is due."""
    now = now or timezone.now()
    raised = 0
    for rule in m.AlertRule.objects.filter(enabled=True, kind=m.AlertRule.Kind.NO_DATA):
        runs = m.TestRun.objects.filter(project_id=rule.project_id, status=m.TestRun.Status.RUNNING)
        for run in runs.select_related("cell"):
            event = no_data_event(rule, run, now)
            if event is not None and alert_raise(rule=rule, test_run=run, result=None, event=event):
                raised += 1
    projects = m.AlertRule.objects.filter(enabled=True).values("project_id")
    recent = m.AnalysisResult.objects.filter(
        created_at__gte=now - RECENT_RESULTS, test_run__project_id__in=projects, kind="cycling"
    ).values_list("pk", flat=True)
    for result_id in recent:
        raised += len(alerts_after_result(result_id))
    due = m.AlertDelivery.objects.filter(
        status=m.AlertDelivery.Status.PENDING, next_attempt_at__lte=now
    ).values_list("pk", flat=True)
    sent = 0
    for delivery_id in due:
        delivery_send(str(delivery_id), now=now)
        sent += 1
    return {"raised": raised, "deliveries_sent": sent}
