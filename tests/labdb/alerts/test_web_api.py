"""Alerts on the web and in the API: the bell counts a member's unread alerts, the home page
lists them and dismisses them, each alert's page shows its evidence, a project's settings page
adds rules; another project's alerts, rules and settings are not found (404)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from labdb import models as m
from labdb.services.alerts import alert_raise
from labdb.services.alerts.rules import Event
from tests.labdb.alerts.conftest import rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(run: m.TestRun) -> m.Alert:
    r = rule(run.project, "low_ce", threshold=0.97, cycles=2, email=False, webhook=False)
    raised = alert_raise(
        rule=r,
        test_run=run,
        result=None,
        event=Event(
            "low_ce",
            5,
            f"{run.label}: CE below 97 % in 2 consecutive cycles (4-5)",
            {"cycles": [4, 5], "coulombic_efficiency": [0.95, 0.96], "threshold": 0.97},
        ),
    )
    assert raised is not None
    return raised


def outsider_client(outsider: Any) -> Client:
    c = Client()
    c.force_login(outsider)
    return c


def test_bell_home_dismiss_and_evidence_page(client_demo: Client, alert: m.Alert) -> None:
    home = client_demo.get("/").content.decode()
    assert 'aria-label="Alerts: 1 unread"' in home and 'class="bell-count">1<' in home
    assert alert.message in home and f"/alerts/{alert.pk}/dismiss/" in home
    response = client_demo.post(f"/alerts/{alert.pk}/dismiss/", {"next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    home = client_demo.get("/").content.decode()
    assert 'aria-label="Alerts: 0 unread"' in home and alert.message not in home
    # still listed (dismissed) on the alert list, and the dismissal is in the audit trail
    listing = client_demo.get("/alerts/").content.decode()
    assert alert.message in listing and "dismissed" in listing
    assert m.HistoryEntry.objects.filter(action="alert.dismissed", record_id=alert.pk).exists()
    client_demo.post(f"/alerts/{alert.pk}/dismiss/")  # twice: still one dismissal
    assert alert.dismissals.count() == 1
    # the alert's page: its evidence and links to the run, the cell page and the rule
    page = client_demo.get(f"/alerts/{alert.pk}/").content.decode()
    run = alert.test_run
    assert f"/test-runs/{run.pk}/" in page and f"/cells/{run.cell_id}/?run={run.pk}" in page
    assert "CE below 97 % for 2 cycles" in page  # the rule with its parameters
    assert "[4, 5]" in page and "0.97" in page


def test_another_projects_alerts_are_not_found(
    client_demo: Client, alert: m.Alert, outsider: Any
) -> None:
    other = outsider_client(outsider)
    for path in (f"/alerts/{alert.pk}/", f"/projects/{alert.project.label}/alerts/"):
        assert other.get(path).status_code == 404, path
    assert other.post(f"/alerts/{alert.pk}/dismiss/").status_code == 404
    assert alert.message not in other.get("/alerts/").content.decode()
    assert 'aria-label="Alerts: 0 unread"' in other.get("/").content.decode()
    assert other.get(f"/api/v1/alerts/{alert.pk}/").status_code == 404
    assert other.get("/api/v1/alerts/").json()["count"] == 0
    assert other.get(f"/api/v1/alert-rules/{alert.rule_id}/").status_code == 404
    assert other.get(f"/api/v1/alert-settings/{alert.project.label}/").status_code == 404
    refused = other.post(
        "/api/v1/alert-rules/",
        json.dumps({"project": alert.project.label, "kind": "short_circuit"}),
        content_type="application/json",
    )
    assert refused.status_code == 400 and "project" in refused.json()


def test_settings_page_adds_rules_in_percent_and_refuses_incomplete_ones(
    client_demo: Client, run: m.TestRun
) -> None:
    path = f"/projects/{run.project.label}/alerts/"
    assert client_demo.get(path).status_code == 200
    added = client_demo.post(
        path,
        {"action": "add-rule", "rule-kind": "low_ce", "rule-threshold_percent": "98",
         "rule-cycles": "3", "rule-email": "on"},
    )  # fmt: skip
    assert added.status_code == 302
    r = m.AlertRule.objects.get(project=run.project)
    assert (r.kind, r.threshold, r.cycles, r.email, r.webhook) == ("low_ce", 0.98, 3, True, False)
    assert m.HistoryEntry.objects.filter(action="alert_rule.created", record_id=r.pk).exists()
    refused = client_demo.post(path, {"action": "add-rule", "rule-kind": "no_data"})
    assert refused.status_code == 200 and "required for a no new data" in refused.content.decode()
    no_threshold = client_demo.post(
        path, {"action": "add-rule", "rule-kind": "low_retention"}
    ).content.decode()
    assert 'id="id_rule-threshold_percent_error"' in no_threshold
    assert m.AlertRule.objects.filter(project=run.project).count() == 1
    wrong = client_demo.post(
        path, {"action": "settings", "conf-email_to": "lab@example.org, not-an-address"}
    )
    assert wrong.status_code == 200 and "not e-mail addresses: not-an-address" in (
        wrong.content.decode()
    )
    saved = client_demo.post(
        path, {"action": "settings", "conf-email_to": "lab@example.org",
               "conf-webhook_url": "https://hooks.example.org/labdb"},
    )  # fmt: skip
    assert saved.status_code == 302
    conf = m.ProjectAlertSettings.objects.get(project=run.project)
    assert conf.webhook_url == "https://hooks.example.org/labdb" and len(conf.webhook_secret) == 64
    secret = conf.webhook_secret
    client_demo.post(path, {"action": "new-secret"})
    conf.refresh_from_db()
    assert conf.webhook_secret != secret
    entry = m.HistoryEntry.objects.filter(action="alerts.configured").first()
    assert entry is not None and secret not in json.dumps(entry.changes)


def test_api_lists_dismisses_and_configures(client_demo: Client, alert: m.Alert) -> None:
    listed = client_demo.get("/api/v1/alerts/?unread=1").json()
    assert listed["count"] == 1
    item = listed["results"][0]
    assert item["cycle"] == 5 and item["evidence"]["cycles"] == [4, 5]
    assert item["test_run"] == alert.test_run.label and item["kind"] == "low_ce"
    assert client_demo.post(f"/api/v1/alerts/{alert.pk}/dismiss/").status_code == 200
    assert client_demo.get("/api/v1/alerts/?unread=1").json()["count"] == 0
    created = client_demo.post(
        "/api/v1/alert-rules/",
        json.dumps({"project": alert.project.label, "kind": "temperature", "max_celsius": 40}),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["description"] == "temperature outside -inf..40 °C"
    bad = client_demo.post(
        "/api/v1/alert-rules/",
        json.dumps({"project": alert.project.label, "kind": "low_retention"}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and "threshold" in bad.json()
    patched = client_demo.patch(
        f"/api/v1/alert-settings/{alert.project.label}/",
        json.dumps({"webhook_url": "https://hooks.example.org/x"}),
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["webhook_url"].endswith("/x")
