"""Alerts through a real Celery worker on PostgreSQL + Redis: the worker that stores a shorted
cell's result raises the alert, its first webhook attempt is refused, and the retries are
Celery tasks sent with a doubling countdown until the receiver (a thread of this process)
accepts."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from labdb import models as m
from tests.labdb.alerts.conftest import Receiver, rule, shorted_cell_csv, webhook_to

pytestmark = pytest.mark.integration


@pytest.fixture
def shorting_run(transactional_db: Any) -> m.TestRun:
    from labdb.demo import demo_load
    from labdb.services.catalog import record_save

    project = demo_load()
    return record_save(
        record=m.TestRun(
            project=project,
            label="int-short-PS",
            cell=m.Cell.objects.get(label="MgAgSn-E-HC1"),
            protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
        ),
        user=None,
    )


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    monkeypatch.setenv("LABDB_ALERT_RETRY_BASE_S", "1")  # read by the worker process
    settings.LABDB_ALERT_RETRY_BASE_S = 1


def test_webhook_retries_are_celery_tasks_with_backoff(
    fast_retries: None, shorting_run: m.TestRun, celery_worker_process: Any
) -> None:
    from labdb.services.ingest import data_file_register

    run = shorting_run

    receiver = Receiver(fail_first=2)
    try:
        rule(run.project, "short_circuit", email=False)
        webhook_to(run.project, receiver.url)
        registered = data_file_register(
            test_run=run, chunks=[shorted_cell_csv()], original_name="s.csv", user=None,
            source="cli",
        )  # fmt: skip
        assert registered.job is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            delivery = m.AlertDelivery.objects.filter(alert__test_run=run).first()
            if delivery is not None and delivery.status != "pending":
                break
            time.sleep(0.3)
    finally:
        receiver.close()
    assert delivery is not None and (delivery.status, delivery.attempts) == ("delivered", 3)
    assert [s for _, _, s in receiver.requests] == [503, 503, 204]
    assert [e.get("retry_in_s") for e in delivery.log] == [1.0, 2.0, None]
    times = [dt_from(e["at"]) for e in delivery.log]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[0] >= 0.9 and gaps[1] >= 1.9  # the countdowns were waited


def dt_from(text: str) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(text).timestamp()
