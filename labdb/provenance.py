"""What an analysis run records about the code that produced it."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess  # nosec B404  # runs git only (commit_id)
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import analysis

LIBRARIES = ("numpy", "scipy", "pandas", "pyarrow", "galvani", "fastnda")


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal parameters give equal text (and hash)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def analysis_version() -> str:
    return analysis.__version__


@cache
def code_commit() -> str:
    """The git commit of the running code (``LABDB_GIT_COMMIT``, else ``git rev-parse``)."""
    env = os.environ.get("LABDB_GIT_COMMIT", "")
    if env:
        return env[:40]
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        )  # nosec B603, B607  # a fixed command, no shell, no user input
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()[:40] if out.returncode == 0 else ""


@cache
def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions
