"""Reads behind live pages: whether a cell's tests run, when their data last arrived, and the
version of the newest stored results (what the cell page polls to know its plots are stale)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from labdb import models as m
from labdb.selectors.access import visible

#: a running test whose newest data are older than this is shown as silent (unless a project
#: rule "no new data for T hours" says otherwise)
SILENT_AFTER = dt.timedelta(hours=2)


@dataclass(frozen=True)
class CellLive:
    running: int
    last_data_at: dt.datetime | None
    status: str


def _silent_after(project_ids: set[Any]) -> dict[Any, dt.timedelta]:
    out = {}
    for project_id, hours in m.AlertRule.objects.filter(
        project_id__in=project_ids, kind=m.AlertRule.Kind.NO_DATA, enabled=True
    ).values_list("project_id", "hours"):
        limit = dt.timedelta(hours=hours)
        out[project_id] = min(out.get(project_id, limit), limit)
    return out


def live_of_cells(
    user: Any, cells: Sequence[m.Cell], now: dt.datetime | None = None
) -> dict[Any, CellLive]:
    """Per cell: running test runs, the newest data file's time, and a status in words
    ("running", "running, no data for 3.1 h", "shorted", ...)."""
    now = now or timezone.now()
    rows = (
        visible(m.TestRun, user)
        .filter(cell__in=cells)
        .values("cell_id")
        .annotate(
            last=Max("files__uploaded_at"),
            running=Count("pk", filter=Q(status=m.TestRun.Status.RUNNING), distinct=True),
        )
    )
    by_cell = {r["cell_id"]: r for r in rows}
    silent = _silent_after({c.project_id for c in cells})
    out = {}
    for cell in cells:
        r = by_cell.get(cell.pk, {"last": None, "running": 0})
        last, running = r["last"], r["running"]
        if running and last is not None and now - last > silent.get(cell.project_id, SILENT_AFTER):
            status = f"running, no data for {(now - last).total_seconds() / 3600:.1f} h"
        elif running:
            status = "running"
        else:
            status = cell.get_status_display()
        out[cell.pk] = CellLive(running, last, status)
    return out


def live_state(user: Any, cell: m.Cell) -> dict[str, Any]:
    """What the cell page polls: per test run its status, newest data time and newest result
    (id, time, cycles); ``version`` changes whenever a new result is stored."""
    runs = (
        visible(m.TestRun, user)
        .filter(cell=cell)
        .annotate(last=Max("files__uploaded_at"))
        .order_by("label")
    )
    items = []
    for run in runs:
        results = run.results.order_by("-created_at").only("pk", "created_at", "cycle_count")
        newest = results.first()
        # a dQ/dV result follows its cycling result: the cycles are the cycling result's
        cycled = results.filter(kind="cycling").first() if newest is not None else None
        items.append(
            {
                "id": str(run.pk),
                "label": run.label,
                "status": run.status,
                "last_data_at": run.last.isoformat() if run.last else None,
                "result": str(newest.pk) if newest else None,
                "result_at": newest.created_at.isoformat() if newest else None,
                "cycles": (cycled or newest).cycle_count if newest else None,
            }
        )
    live = live_of_cells(user, [cell])[cell.pk]
    return {
        "cell": str(cell.pk),
        "cell_status": cell.status,
        "running": live.running > 0,
        "status": live.status,
        "last_data_at": live.last_data_at.isoformat() if live.last_data_at else None,
        "last_data_text": live_time_text(live.last_data_at),
        "version": "|".join(f"{r['id']}:{r['result']}" for r in items),
        "runs": items,
    }


def live_time_text(when: dt.datetime | None) -> str:
    """A data time as pages show it (local time, to the minute)."""
    return timezone.localtime(when).strftime("%Y-%m-%d %H:%M") if when else ""
