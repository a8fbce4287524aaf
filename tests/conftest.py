"""Shared fixtures: where the real instrument files for conformance tests live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def conformance_root() -> Path:
    """``LABDB_CONFORMANCE_DATA``, defaulting to ``../shared/data`` next to the repository."""
    env = os.environ.get("LABDB_CONFORMANCE_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def conformance_data() -> Path:
    root = conformance_root()
    if not root.is_dir():
        pytest.skip(
            f"conformance data not found at {root} (set LABDB_CONFORMANCE_DATA to the shared data folder)"
        )
    return root
