"""The blob store: its one hashing loop, file-name cleaning, and a full or read-only disk."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest

from labdb.storage import BlobTooLarge, hash_chunks, hash_file, read_chunks, safe_name


def test_hash_chunks_hashes_counts_and_copies() -> None:
    out = io.BytesIO()
    sha, size = hash_chunks([b"abc", b"", b"defg"], out=out)
    assert (sha, size) == (hashlib.sha256(b"abcdefg").hexdigest(), 7)
    assert out.getvalue() == b"abcdefg"


def test_hash_chunks_stops_before_the_chunk_that_passes_the_limit() -> None:
    out = io.BytesIO()
    assert hash_chunks([b"ab", b"cd"], max_bytes=4)[1] == 4
    with pytest.raises(BlobTooLarge, match="limit of 3 bytes"):
        hash_chunks([b"ab", b"cd"], out=out, max_bytes=3)
    assert out.getvalue() == b"ab"


def test_hash_file_reads_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    data = bytes(range(256)) * 9000  # more than one chunk
    path.write_bytes(data)
    assert hash_file(path) == hashlib.sha256(data).hexdigest()
    with path.open("rb") as fh:
        assert b"".join(read_chunks(fh)) == data


def test_safe_name() -> None:
    assert safe_name("C:\\data\\run\x07 1.mpr") == "run 1.mpr"
    assert safe_name("../../") == "unnamed"
    long = safe_name("x" * 300 + ".csv")
    assert len(long) == 200 and long.endswith(".csv")


@pytest.fixture
def upload_run(demo: Any, demo_user: Any) -> Any:
    from labdb import models as m
    from labdb.services.catalog import record_save

    return record_save(
        record=m.TestRun(
            project=demo,
            label="MgAgSn-E-HC1-PS",
            cell=m.Cell.objects.get(label="MgAgSn-E-HC1"),
            protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
        ),
        user=demo_user,
    )


def _api_upload(client: Any, data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/api/v1/test-runs/MgAgSn-E-HC1-PS/files/",
        {"file": SimpleUploadedFile("cell.csv", data), "sha256": hashlib.sha256(data).hexdigest()},
        format="multipart",
    )


def _stored(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and p.name != "filler"]


@pytest.mark.django_db(transaction=True)
def test_disk_full_and_read_only_store_answer_507_and_503_store_nothing_and_recover(
    upload_run: Any, demo_user: Any, settings: Any, tmp_path: Path, client_demo: Any
) -> None:
    from labdb import models as m
    from tests.labdb.api.conftest import token_client
    from tests.labdb.jobs.small_disk import small_disk
    from tests.labdb.test_ingest_and_jobs import bdf_csv

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    api = token_client(demo_user, "upload")
    data = bdf_csv(cycles=20)  # ~250 KB
    with small_disk(tmp_path / "store", 1024) as disk:
        settings.BLOB_DIR = disk.path / "blobs"
        filler = disk.fill()
        # API: 507 with the reason, nothing stored, no record
        r = _api_upload(api, data)
        assert r.status_code == 507, r.content
        assert r.json()["code"] == "storage_full" and r["Retry-After"]
        assert _stored(disk.path) == [] and not m.DataFile.objects.exists()
        # web: the same, as a page
        web = client_demo.post(
            "/upload/",
            {"test_run": str(upload_run.pk), "file": _named(data)},
            HTTP_ACCEPT="text/html",
        )
        assert web.status_code == 507 and b"file store is full" in web.content
        # space is back: the same upload succeeds
        filler.unlink()
        r = _api_upload(api, data)
        assert r.status_code == 201, r.content
        # read-only store: 503, nothing more stored; writable again: works
        disk.read_only()
        other = bdf_csv(cycles=21)
        r = _api_upload(api, other)
        assert r.status_code == 503 and r.json()["code"] == "storage_read_only"
        assert m.DataFile.objects.count() == 1
        disk.read_only(False)
        assert _api_upload(api, other).status_code == 201
        assert m.DataFile.objects.count() == 2


def _named(data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("cell.csv", data)


def test_hash_chunks_takes_the_prefix_digests_in_the_same_pass() -> None:
    """The running sha256 at given sizes (how an upload finds the file it extends): at chunk
    boundaries and inside chunks, in any order; none for 0 or past the end."""
    import hashlib

    data = bytes(range(256)) * 9
    chunks = [data[:100], data[100:100], data[100:1000], data[1000:]]
    prefixes = dict.fromkeys([1000, 7, 0, len(data), len(data) + 1, 100, 101], "")
    sha, size = hash_chunks(chunks, prefixes=prefixes)
    assert (sha, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert prefixes == {
        n: hashlib.sha256(data[:n]).hexdigest() for n in (7, 100, 101, 1000, len(data))
    }
