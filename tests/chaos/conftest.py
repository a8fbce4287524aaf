"""The chaos suite: ``pytest tests/chaos`` (about 5 minutes). It starts its own PostgreSQL,
Redis, gunicorn and Celery workers on 127.0.0.1 (never the shared servers) and breaks them.
Collected with the rest of the tests it is skipped: run it by naming its folder (or with
``LABDB_CHAOS=1``). The long versions with figures: ``python bench/chaos.py``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chaos.scenarios import Lab, lab
from tests.chaos.services import missing_tools, stack

HERE = Path(__file__).resolve().parent


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "chaos: breaks its own servers (pytest tests/chaos)")


def _asked_for(config: Any) -> bool:
    if os.environ.get("LABDB_CHAOS") == "1":
        return True
    for arg in config.args:
        path = Path(str(arg).split("::")[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    asked = _asked_for(config)
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.chaos)
            if not asked:
                item.add_marker(
                    pytest.mark.skip(reason="the chaos suite runs on its own: pytest tests/chaos")
                )


@pytest.fixture(scope="session")
def chaos_lab() -> Iterator[Lab]:
    """One stack for the whole suite: short leases and time limits so that recoveries fit the
    suite's time; a sweep every 3 s stands in for beat's minute."""
    why = missing_tools()
    if why:
        pytest.skip(why)
    with stack(
        blob_disk_mb=256,
        LABDB_JOB_LEASE_S="6",
        LABDB_TASK_SOFT_TIME_LIMIT="30",
        LABDB_TASK_TIME_LIMIT="40",
        LABDB_VISIBILITY_TIMEOUT="60",
    ) as s:
        the_lab = lab(s)
        the_lab.sweeper(3)
        yield the_lab
