"""Where the blob store keeps its bytes: Django storage backends behind ``STORAGES["blobs"]``.

:mod:`labdb.storage` (content addressing, hashing, verification) talks to the configured backend
only through Django's storage API (``save``, ``exists``, ``path``, ``delete``) and the three
methods below that every blob backend adds:

- ``open_stream(name)``: the stored bytes as a stream, read in chunks (never the whole object in
  memory); ``FileNotFoundError`` when there is no such blob;
- ``iter_names()``: every stored blob's name (``<sha[:2]>/<sha>``);
- ``describe(name)``: where the blob is, for messages (a path, or ``s3://bucket/key``);
- ``staging_dir()``: the local folder where an upload is written (and hashed) before it is stored.

Two backends:

- :class:`LocalBlobStorage` (the default): ``LABDB_DATA_DIR/blobs``. A blob is staged next to the
  store and moved into place atomically (``os.replace``), read-only.
- :class:`S3BlobStorage`: any S3-compatible object store (AWS S3, MinIO, Ceph RGW, SeaweedFS),
  chosen with ``LABDB_BLOB_STORE=s3://BUCKET/PREFIX`` (see docs/scale-out.md). Uploads stream from
  the staged file, in parts of ``LABDB_S3_PART_MB`` above that size (S3 multipart upload).

Neither overwrites a stored blob whose bytes still match its name: :func:`labdb.storage.store_chunks`
checks first, and only a missing or damaged blob is written again (with verified bytes).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any, BinaryIO

from boto3.s3.transfer import TransferConfig
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


def _is_blob_dir(name: str) -> bool:
    return len(name) == 2 and all(c in "0123456789abcdef" for c in name)


class LocalBlobStorage(FileSystemStorage):
    """Blobs on local disk (or a shared mount) under ``settings.BLOB_DIR``, read at every use
    so that a changed setting (tests, ``override_settings``) takes effect at once."""

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(settings.BLOB_DIR)

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return name  # content-addressed: the name is the content, never renamed

    def _save(self, name: str, content: Any) -> str:
        staged = getattr(content, "temporary_file_path", None)
        if staged is None:
            return str(super()._save(name, content))
        full = Path(self.path(name))
        full.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(staged(), stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(staged(), full)  # atomic: readers see the old blob or the whole new one
        return name

    def open_stream(self, name: str) -> BinaryIO:
        return open(self.path(name), "rb")

    def iter_names(self) -> Iterator[str]:
        root = Path(self.location)
        if not root.is_dir():
            return
        for sub in sorted(root.iterdir()):
            if sub.is_dir() and _is_blob_dir(sub.name):
                for p in sorted(sub.iterdir()):
                    yield f"{sub.name}/{p.name}"

    def describe(self, name: str) -> str:
        return str(self.path(name))

    def staging_dir(self) -> Path:
        # on the store's own file system, so that the final move is atomic
        return Path(self.location) / "tmp"


class S3BlobStorage(S3Storage):
    """Blobs in an S3-compatible bucket under a prefix (``location``); uploads larger than
    ``part_bytes`` go in parts of that size (multipart upload, a few parts in parallel)."""

    def get_default_settings(self) -> dict[str, Any]:
        return {**super().get_default_settings(), "part_bytes": 16 * 1024 * 1024}

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.transfer_config = TransferConfig(
            multipart_threshold=self.part_bytes, multipart_chunksize=self.part_bytes
        )

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return clean_name(name)

    def _key(self, name: str) -> str:
        return str(self._normalize_name(clean_name(name)))

    def open_stream(self, name: str) -> BinaryIO:
        client = self.connection.meta.client
        try:
            response = client.get_object(Bucket=self.bucket_name, Key=self._key(name))
        except client.exceptions.NoSuchKey:
            raise FileNotFoundError(f"no object {self.describe(name)}") from None
        return response["Body"]  # type: ignore[no-any-return]

    def iter_names(self) -> Iterator[str]:
        prefix = f"{self.location.strip('/')}/" if self.location.strip("/") else ""
        paginator = self.connection.meta.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket_name, Prefix=prefix):
            for entry in page.get("Contents", ()):
                name = entry["Key"][len(prefix) :]
                sub, _, rest = name.partition("/")
                if _is_blob_dir(sub) and rest and "/" not in rest:
                    yield name

    def describe(self, name: str) -> str:
        return f"s3://{self.bucket_name}/{self._key(name)}"

    def staging_dir(self) -> Path:
        return Path(settings.DATA_DIR) / "tmp"

    def path(self, name: str) -> str:
        raise NotImplementedError("blobs in an object store have no local path")

    def delete(self, name: str) -> None:
        with suppress(FileNotFoundError):
            super().delete(name)
