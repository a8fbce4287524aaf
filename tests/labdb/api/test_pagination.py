"""The API's results list pages newest first by keyset: following ``next`` gives every result
once, in (created_at, job) order newest first, also across results created at the same
instant; ``?page=`` keeps the numbered pages with their count; a forged cursor is a 400."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest

from labdb import models as m
from labdb.api.pagination import NewestFirstPagination
from tests.labdb.api.conftest import token_client

T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def _results(run: m.TestRun, count: int, at: dt.datetime, offset: int) -> None:
    """``count`` results on ``run`` created at the same instant ``at``."""
    data = m.DataFile.objects.create(
        project=run.project,
        test_run=run,
        sha256=f"{offset:064x}",
        size_bytes=1,
        original_name=f"f{offset}.csv",
        source="cli",
    )
    with mock.patch("django.utils.timezone.now", return_value=at):
        for i in range(count):
            job = m.AnalysisJob.objects.create(
                project=run.project,
                data_file=data,
                kind="cycling",
                parameters={"i": offset + i},
                parameters_sha256=f"{offset + i:064x}",
                analysis_version="test",
                status="running",
            )
            m.AnalysisResult.objects.create(job=job, test_run=run, kind="cycling")


@pytest.mark.django_db
def test_next_links_give_every_result_once_newest_first_across_ties(
    run: m.TestRun, demo_user: Any, monkeypatch: Any
) -> None:
    _results(run, 5, T0, 0)
    _results(run, 4, T0 + dt.timedelta(hours=1), 100)  # newer, and tied among themselves
    monkeypatch.setattr(NewestFirstPagination, "page_size", 3)
    client = token_client(demo_user, "read")
    expected = [
        str(pk)
        for pk in m.AnalysisResult.objects.order_by("-created_at", "-job_id").values_list(
            "job_id", flat=True
        )
    ]
    assert len(expected) == 9

    seen, url, pages = [], "/api/v1/results/", 0
    while url:
        body = client.get(url).json()
        assert "count" not in body  # no count: the database is not asked to count them all
        seen += [r["job"] for r in body["results"]]
        url, pages = body["next"], pages + 1
    assert seen == expected
    assert pages == 3

    numbered = client.get("/api/v1/results/?page=2").json()  # page numbers stay
    assert numbered["count"] == 9 and len(numbered["results"]) == 3
    # another ordering is paged by numbers too
    by_ice = client.get("/api/v1/results/?ordering=initial_coulombic_efficiency").json()
    assert by_ice["count"] == 9

    forged = client.get("/api/v1/results/?cursor=not-a-cursor")
    assert forged.status_code == 400
    assert "cursor" in forged.json()
