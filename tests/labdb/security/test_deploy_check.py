"""``manage.py check --deploy`` is clean with the production settings of docker/ (DEBUG off, a
random secret key, the host names, HTTPS through the reverse proxy); a plain-HTTP trial
(DJANGO_HTTPS=0) is reported, as it should be."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT


def deploy_check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    production = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_hex(32),  # as docker/env.example makes it
        "DJANGO_ALLOWED_HOSTS": "labdb.example.org",
        "LABDB_DATA_DIR": str(tmp_path),
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env=base | production | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production(tmp_path: Path) -> None:
    result = deploy_check(tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_a_plain_http_trial_is_reported(tmp_path: Path) -> None:
    result = deploy_check(tmp_path, DJANGO_HTTPS="0")
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr
