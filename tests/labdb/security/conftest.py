"""Fixtures of the security tests: a stored-file area per test, and a cycling result ingested
through the normal pipeline (the web tests' fixtures)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from tests.labdb.web.conftest import cycling, ingest

__all__ = ["blobs", "cycling", "ingest"]


@pytest.fixture
def blobs(settings: Any, tmp_path: Path) -> Path:
    settings.BLOB_DIR = tmp_path / "blobs"
    cache.clear()  # derived plot series are cached by parsed-table sha256
    return settings.BLOB_DIR
