"""Fixtures of the API tests: the demo study with a cycling result, users of every role, and a
key of each scope."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from labdb import models as m
from labdb.services.catalog import record_save
from labdb.services.ingest import data_file_register
from labdb.services.tokens import token_create
from tests.labdb.test_ingest_and_jobs import bdf_csv


@pytest.fixture(autouse=True)
def _fast_hashing_and_blobs(settings: Any, tmp_path: Path) -> None:
    """Cheap password hashing (the demo user is created per test) and a private blob store."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.BLOB_DIR = tmp_path / "blobs"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def run(demo: m.Project, demo_user: Any) -> m.TestRun:
    return record_save(
        record=m.TestRun(
            project=demo,
            label="MgAgSn-E-HC1-PS",
            cell=m.Cell.objects.get(label="MgAgSn-E-HC1"),
            protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
            instrument=m.Instrument.objects.get(label="BCS-805-1"),
            channel="3",
        ),
        user=demo_user,
    )


@pytest.fixture
def analysed(run: m.TestRun, django_capture_on_commit_callbacks: Any) -> m.DataFile:
    """A cycling file on ``run``, analysed (three cycles, CE 0.98)."""
    with django_capture_on_commit_callbacks(execute=True):
        registered = data_file_register(
            test_run=run,
            chunks=[bdf_csv(cycles=3, ce=0.98)],
            original_name="cell.csv",
            user=None,
            source="cli",
        )
    assert registered.job is not None
    registered.job.refresh_from_db()
    assert registered.job.status == "succeeded", registered.job.error
    return registered.data_file


def token_client(user: Any, scope: str, instrument: m.Instrument | None = None) -> APIClient:
    client = APIClient()
    key = token_create(user=user, name=f"test {scope}", scope=scope, instrument=instrument).key
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def session_client(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=None)
    client.force_login(user)
    return client


@pytest.fixture
def staff(db: Any) -> Any:
    """Staff of the site, member of no project: staff status opens the admin, not the data."""
    return get_user_model().objects.create_user("staff", password="pw-staff-123", is_staff=True)


@pytest.fixture
def clients(demo_user: Any, outsider: Any, staff: Any) -> dict[str, APIClient]:
    return {
        "anonymous": APIClient(),
        "read": token_client(demo_user, "read"),
        "upload": token_client(demo_user, "upload"),
        "read-write": token_client(demo_user, "read-write"),
        "member": session_client(demo_user),
        "other-project": session_client(outsider),
        "staff": session_client(staff),
    }


@pytest.fixture
def upload_key(demo_user: Any, run: m.TestRun) -> str:
    """An API key with the upload scope (what the harvester is given)."""
    return token_create(user=demo_user, name="harvester", scope="upload").key
