"""Production settings refuse to start without a secret key and allowed hosts."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_debug_off_requires_secret_key() -> None:
    result = _check({"DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "lab.example.org"})
    assert result.returncode != 0
    assert "DJANGO_DEBUG=0 requires DJANGO_SECRET_KEY" in result.stderr


def test_debug_off_requires_allowed_hosts() -> None:
    result = _check({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    assert "DJANGO_DEBUG=0 requires DJANGO_ALLOWED_HOSTS" in result.stderr


def test_debug_off_with_both_starts(tmp_path: Path) -> None:
    result = _check(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "lab.example.org",
            "LABDB_DATA_DIR": str(tmp_path),
        }
    )
    assert result.returncode == 0, result.stderr


def test_embedded_default_is_sqlite_with_eager_tasks() -> None:
    from django.conf import settings

    if os.environ.get("DATABASE_URL") or os.environ.get("CELERY_BROKER_URL"):
        import pytest

        pytest.skip("DATABASE_URL / CELERY_BROKER_URL set: not the embedded default")
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
    assert settings.CELERY_TASK_EAGER_PROPAGATES is True
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert settings.CELERY_ACCEPT_CONTENT == ["json"]
    assert settings.CELERY_TASK_TIME_LIMIT < settings.CELERY_VISIBILITY_TIMEOUT
