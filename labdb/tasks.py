"""Celery tasks: thin interfaces that load by id and call a service or selector.

Tasks are named explicitly so that a renamed module never strands queued messages.
"""

from __future__ import annotations

import socket
from typing import Any

from celery import shared_task


@shared_task(name="labdb.catalog_summary")
def catalog_summary(project_id: str) -> dict[str, Any]:
    """Count a project's catalog records, from whichever worker runs it (a health check that
    proves the worker reaches the same database as the web app)."""
    from labdb.selectors.catalog import project_counts

    return {"worker": socket.gethostname(), "counts": project_counts(project_id)}
