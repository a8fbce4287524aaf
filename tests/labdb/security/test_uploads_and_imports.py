"""The browser upload refuses an oversize body with 413 before reading it, and a broken
spreadsheet in a bulk import is a 400 naming the file, not a server error."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from labdb import models as m
from tests.labdb.web.conftest import make_run

pytestmark = pytest.mark.django_db


class CountingBody(io.BytesIO):
    """A request body that counts the bytes the server reads from it."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.read_bytes = 0

    def read(self, n: int | None = -1) -> bytes:
        want = self.size - self.read_bytes if n is None or n < 0 else n
        chunk = b"x" * max(0, min(want, self.size - self.read_bytes))
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, n: int | None = -1) -> bytes:
        return self.read(min(n, 64 * 1024) if n and n > 0 else 64 * 1024)


@pytest.fixture
def run(demo: m.Project, demo_user: Any) -> m.TestRun:
    return make_run(demo, demo_user, "MgAgSn-E-HC2-PS", "MgAgSn-E-HC2", "PS-1mA-1mAh")


@pytest.mark.parametrize("csrf_checks", [False, True])
def test_oversize_upload_is_413_without_reading_the_body(
    demo_user: Any, run: m.TestRun, blobs: Any, settings: Any, csrf_checks: bool
) -> None:
    """Also with the CSRF check on, which parses a posted form before the view runs."""
    client = Client(enforce_csrf_checks=csrf_checks)
    client.force_login(demo_user)
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    size = 200 * 1024 * 1024
    body = CountingBody(size)
    response = client.generic(
        "POST",
        "/upload/",
        b"",
        content_type="multipart/form-data; boundary=labdbboundary",
        HTTP_ACCEPT="application/json",
        **{"wsgi.input": body, "CONTENT_LENGTH": str(size)},
    )
    assert response.status_code == 413
    assert "1048576" in response.json()["error"] or "1 MiB" in response.json()["error"]
    assert body.read_bytes < 1024 * 1024
    assert not m.DataFile.objects.exists()


def test_a_file_over_the_limit_in_a_small_body_is_also_413(
    client_demo: Client, run: m.TestRun, blobs: Any, settings: Any
) -> None:
    """The limit is also enforced on the bytes stored (a body without a length)."""
    settings.MAX_UPLOAD_BYTES = 1000
    response = client_demo.post(
        "/upload/",
        {"test_run": str(run.pk), "file": SimpleUploadedFile("big.csv", b"1," * 600)},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 413
    assert "big.csv" in response.json()["error"]
    assert not m.DataFile.objects.exists()


def test_bulk_import_of_a_broken_xlsx_is_a_400_naming_the_file(
    client_demo: Client, demo: m.Project
) -> None:
    client_demo.raise_request_exception = False
    broken = SimpleUploadedFile("lots-june.xlsx", b"PK\x03\x04 not really a zip archive")
    response = client_demo.post("/lots/import/", {"project": str(demo.pk), "file": broken})
    assert response.status_code == 400
    page = response.content.decode()
    assert "lots-june.xlsx" in page and "not a readable" in page
