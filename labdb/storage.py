"""The content-addressed blob store for raw instrument files, parsed tables and attachments.

A blob lives at ``LABDB_DATA_DIR/blobs/<sha256[:2]>/<sha256>``, read-only. Writing streams the
content to a temporary file while hashing it (memory does not grow with the file), then moves it
into place atomically; storing the same content twice keeps one copy. Names are metadata kept in
the database, never part of a path, so a hostile file name cannot escape the store.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

CHUNK_BYTES = 1024 * 1024


class BlobTooLarge(ValueError):
    """The content is larger than ``LABDB_MAX_UPLOAD_BYTES``."""


class ChecksumMismatch(ValueError):
    """The content's sha256 differs from the one the sender declared."""


class BlobCorrupt(ValueError):
    """A stored blob is missing or its content no longer matches the sha256 it is stored
    under (a flipped bit on disk, a truncated copy): it is refused, never served or analysed.
    Storing the good content again repairs it."""

    def __init__(self, sha256: str, problem: str) -> None:
        super().__init__(
            f"the stored file {sha256} is {problem}; it is refused until the original file is "
            "uploaded again (which repairs it)"
        )
        self.sha256 = sha256
        self.problem = problem


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


def safe_name(name: str) -> str:
    """A file name kept as metadata: no directories, no control characters, at most 200 chars."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip() or "unnamed"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:200]
    return name


def read_chunks(fh: BinaryIO) -> Iterator[bytes]:
    """The content of the open file ``fh`` in pieces of :data:`CHUNK_BYTES`."""
    return iter(lambda: fh.read(CHUNK_BYTES), b"")


def hash_chunks(
    chunks: Iterable[bytes], *, out: BinaryIO | None = None, max_bytes: int | None = None
) -> tuple[str, int]:
    """The sha256 and the size of the concatenated ``chunks``, read once; each chunk is also
    written to ``out`` when given. Raises :class:`BlobTooLarge` as soon as the content passes
    ``max_bytes`` (before that chunk is hashed or written)."""
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise BlobTooLarge(f"the file is larger than the limit of {max_bytes} bytes")
        digest.update(chunk)
        if out is not None:
            out.write(chunk)
    return digest.hexdigest(), size


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
    fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            sha, size = hash_chunks(chunks, out=out, max_bytes=limit)
            out.flush()
            os.fsync(out.fileno())
        if expected_sha256 is not None and expected_sha256.strip().lower() != sha:
            raise ChecksumMismatch(
                f"sha256 mismatch: the client declared {expected_sha256.strip().lower()}, "
                f"the received content has {sha}"
            )
        final = blob_path(sha)
        if final.exists() and _intact(final, sha):
            return StoredBlob(sha, size, final, created=False)
        # new content, or a damaged copy that these verified bytes replace (atomically)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(tmp, final)
        return StoredBlob(sha, size, final, created=True)
    finally:
        tmp.unlink(missing_ok=True)


def store_file(
    path: Path, *, expected_sha256: str | None = None, max_bytes: int | None = None
) -> StoredBlob:
    """Store the content of the file at ``path`` (see :func:`store_chunks`)."""
    with path.open("rb") as fh:
        return store_chunks(read_chunks(fh), expected_sha256=expected_sha256, max_bytes=max_bytes)


def hash_file(path: Path) -> str:
    """The sha256 of the file at ``path``, read in chunks."""
    with path.open("rb") as fh:
        return hash_chunks(read_chunks(fh))[0]


def _intact(path: Path, sha256: str) -> bool:
    try:
        return hash_file(path) == sha256
    except FileNotFoundError:
        return False


def verified_blob_path(sha256: str) -> Path:
    """The path of the blob ``sha256`` after re-hashing its content; raises
    :class:`BlobCorrupt` when it is missing or no longer matches. Jobs read and downloads
    serve blobs through this, so damaged bytes are refused with the reason, never trusted."""
    path = blob_path(sha256)
    try:
        actual = hash_file(path)
    except FileNotFoundError:
        raise BlobCorrupt(sha256, "missing from the store") from None
    if actual != sha256:
        raise BlobCorrupt(sha256, f"damaged (its content now has sha256 {actual})")
    return path


def open_blob(sha256: str) -> BinaryIO:
    """The verified blob ``sha256`` open for reading (see :func:`verified_blob_path`)."""
    return verified_blob_path(sha256).open("rb")


def iter_blobs() -> Iterator[tuple[str, Path]]:
    """Every stored blob as (sha256 its name claims, path)."""
    root = blob_root()
    if not root.is_dir():
        return
    for sub in sorted(root.iterdir()):
        if sub.is_dir() and len(sub.name) == 2:
            for p in sorted(sub.iterdir()):
                yield p.name, p
