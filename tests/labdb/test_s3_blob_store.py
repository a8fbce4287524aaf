"""The blob store on a real S3-compatible server (SeaweedFS on 127.0.0.1, tests/s3server.py):
content addressing, multipart uploads, no overwrite of an intact blob, verification on read,
verify_storage, attachments and moving a local store to S3 (jobs, Parquet tables and exports on S3:
tests/labdb/exports/test_exports_on_s3.py)."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from labdb import models as m
from labdb.services.attachments import attachment_add
from labdb.storage import (
    BlobCorrupt,
    blob_store,
    open_blob,
    read_blob,
    store_chunks,
)
from tests.s3server import BUCKET, SeaweedS3

MiB = 1024 * 1024


def _key(prefix: str, sha: str) -> str:
    return f"{prefix}/{sha[:2]}/{sha}"


def _count_writes(store: Any) -> Counter[str]:
    """Counts the S3 write calls the store's client makes from now on."""
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        calls[event_name.rsplit(".", 1)[-1]] += 1

    events = store.connection.meta.client.meta.events
    for op in ("PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"):
        events.register(f"before-call.s3.{op}", count)
    return calls


def test_a_large_blob_is_uploaded_in_parts_under_its_sha256_and_never_rewritten(
    s3_blob_store: str, s3_server: SeaweedS3
) -> None:
    data = bytes(range(256)) * (12 * MiB // 256) + b"tail"  # 12 MiB: three 5 MiB parts
    sha = hashlib.sha256(data).hexdigest()
    store = blob_store()
    writes = _count_writes(store)
    chunks = (data[i : i + MiB] for i in range(0, len(data), MiB))
    stored = store_chunks(chunks, expected_sha256=sha, max_bytes=64 * MiB)
    assert (stored.sha256, stored.size_bytes, stored.created) == (sha, len(data), True)
    assert writes["UploadPart"] == 3 and writes["PutObject"] == 0
    s3 = s3_server.client()
    head = s3.head_object(Bucket=BUCKET, Key=_key(s3_blob_store, sha))
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"').endswith("-3")  # a multipart object
    assert hashlib.sha256(read_blob(sha)).hexdigest() == sha

    # the same content again: verified in place, nothing written
    writes.clear()
    again = store_chunks([data], max_bytes=64 * MiB)
    assert (again.sha256, again.created) == (sha, False)
    assert sum(writes.values()) == 0
    # nothing staged locally is left behind
    assert not list(Path(store.staging_dir()).iterdir())


def test_a_damaged_object_is_refused_reported_and_repaired_by_uploading_it_again(
    s3_blob_store: str, s3_server: SeaweedS3, db: Any
) -> None:
    good = b"cycle,voltage\n" * 1000
    sha = store_chunks([good]).sha256
    s3 = s3_server.client()
    damaged = bytearray(good)
    damaged[100] ^= 0x01
    s3.put_object(Bucket=BUCKET, Key=_key(s3_blob_store, sha), Body=bytes(damaged))

    with pytest.raises(BlobCorrupt, match="damaged"):
        open_blob(sha)
    with pytest.raises(CommandError, match="1 of 1 stored files failed the check"):
        call_command("verify_storage")
    problem = m.StorageCheck.objects.latest("finished_at").problems[0]
    assert problem["path"] == f"s3://{BUCKET}/{_key(s3_blob_store, sha)}"
    assert problem["actual_sha256"] == hashlib.sha256(damaged).hexdigest()

    assert store_chunks([good]).created  # the verified bytes replace the damaged ones
    assert read_blob(sha) == good
    call_command("verify_storage")

    s3.delete_object(Bucket=BUCKET, Key=_key(s3_blob_store, sha))
    with pytest.raises(BlobCorrupt, match="missing"):
        open_blob(sha)


@pytest.mark.django_db(transaction=True)
def test_attachments_are_stored_and_served_from_s3(
    s3_blob_store: str, demo: m.Project, demo_user: Any, client_demo: Client
) -> None:
    pdf = b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF\n"
    lot = m.MaterialLot.objects.filter(project=demo).first()
    attachment = attachment_add(
        owner=lot,
        kind="other",
        chunks=[pdf],
        original_name="certificate.pdf",
        description="",
        user=demo_user,
    )
    assert attachment.content_type == "application/pdf"
    r = client_demo.get(f"/attachments/{attachment.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == pdf


def test_a_blob_store_url_that_is_not_s3_is_refused_at_start() -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=root,
        env=env | {"LABDB_BLOB_STORE": "https://bucket.example.org/labdb"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "expected s3://BUCKET/PREFIX" in result.stderr


def test_blobs_of_a_local_store_are_copied_into_s3_verified(
    s3_blob_store: str, tmp_path: Path, capsys: Any
) -> None:
    local = tmp_path / "old-blobs"
    good = [b"first raw file", b"second raw file"]
    for data in good:
        sha = hashlib.sha256(data).hexdigest()
        (local / sha[:2]).mkdir(parents=True, exist_ok=True)
        (local / sha[:2] / sha).write_bytes(data)
    bad_sha = hashlib.sha256(b"original").hexdigest()
    (local / bad_sha[:2]).mkdir(exist_ok=True)
    (local / bad_sha[:2] / bad_sha).write_bytes(b"flipped")
    with pytest.raises(CommandError, match="2 copied, 0 already in the store, 1 damaged"):
        call_command("blobs_copy", "--from", str(local))
    assert bad_sha in capsys.readouterr().err
    assert [read_blob(hashlib.sha256(d).hexdigest()) for d in good] == good
    with pytest.raises(BlobCorrupt, match="missing"):
        open_blob(bad_sha)
