"""The content-addressed blob store for raw instrument files, parsed tables and attachments.

A blob lives at ``LABDB_DATA_DIR/blobs/<sha256[:2]>/<sha256>``, read-only. Writing streams the
content to a temporary file while hashing it (memory does not grow with the file), then moves it
into place atomically; storing the same content twice keeps one copy. Names are metadata kept in
the database, never part of a path, so a hostile file name cannot escape the store.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

CHUNK_BYTES = 1024 * 1024


class BlobTooLarge(ValueError):
    """The content is larger than ``LABDB_MAX_UPLOAD_BYTES``."""


class ChecksumMismatch(ValueError):
    """The content's sha256 differs from the one the sender declared."""


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size_bytes: int
    path: Path
    created: bool


def blob_root() -> Path:
    return Path(settings.BLOB_DIR)


def blob_path(sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return blob_root() / sha256[:2] / sha256


def store_chunks(
    chunks: Iterable[bytes],
    *,
    expected_sha256: str | None = None,
    max_bytes: int | None = None,
) -> StoredBlob:
    """Store the concatenated ``chunks``; verify ``expected_sha256`` and the size limit first.

    Raises :class:`ChecksumMismatch` or :class:`BlobTooLarge` and stores nothing in that case.
    """
    limit = settings.MAX_UPLOAD_BYTES if max_bytes is None else max_bytes
    tmp_dir = blob_root() / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise BlobTooLarge(f"the file is larger than the limit of {limit} bytes")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        if expected_sha256 is not None and expected_sha256.strip().lower() != sha:
            raise ChecksumMismatch(
                f"sha256 mismatch: the client declared {expected_sha256.strip().lower()}, "
                f"the received content has {sha}"
            )
        final = blob_path(sha)
        if final.exists():
            return StoredBlob(sha, size, final, created=False)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(tmp, final)
        return StoredBlob(sha, size, final, created=True)
    finally:
        tmp.unlink(missing_ok=True)


def store_file(path: Path, **kwargs: object) -> StoredBlob:
    """Store the content of the file at ``path``."""
    with path.open("rb") as fh:
        return store_chunks(iter(lambda: fh.read(CHUNK_BYTES), b""), **kwargs)  # type: ignore[arg-type]


def hash_file(path: Path) -> str:
    """The sha256 of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def iter_blobs() -> Iterator[tuple[str, Path]]:
    """Every stored blob as (sha256 its name claims, path)."""
    root = blob_root()
    if not root.is_dir():
        return
    for sub in sorted(root.iterdir()):
        if sub.is_dir() and len(sub.name) == 2:
            for p in sorted(sub.iterdir()):
                yield p.name, p
