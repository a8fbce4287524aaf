"""The content-addressed blob store for raw instrument files, parsed tables and attachments.

A blob is stored under the name ``<sha256[:2]>/<sha256>`` in the backend configured as
``STORAGES["blobs"]`` (:mod:`labdb.blobstore`): ``LABDB_DATA_DIR/blobs`` on local disk by default,
an S3-compatible bucket with ``LABDB_BLOB_STORE=s3://BUCKET/PREFIX``. Writing streams the content
to a local staging file while hashing it (memory does not grow with the file), then stores it
(an atomic move on disk, a multipart upload to S3); storing the same content twice keeps one
copy, and a stored blob whose bytes still match its name is never overwritten. Reading verifies:
jobs, downloads and exports re-hash the bytes and refuse a damaged blob (:class:`BlobCorrupt`).
Readers get a stream; a local copy (a temporary file on S3) only where a library needs a path.
Names are metadata kept in the database, never part of a path, so a hostile file name cannot
escape the store.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages

from labdb.hash_state import RunningSha256
from labdb.staging import sweep_staging_now_and_then

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
    created: bool
    #: the sha256 of the content's first n bytes, for each n of ``prefix_sizes`` asked for
    #: (sizes past the end get none)
    prefix_sha256: dict[int, str] = field(default_factory=dict)
    #: the running sha256's state at the end of the content (``labdb.hash_state``), from which
    #: an append hashes only its new bytes; None where it cannot be saved
    sha256_state: bytes | None = None


def blob_store() -> Any:
    """The configured backend (``STORAGES["blobs"]``, see :mod:`labdb.blobstore`)."""
    return storages["blobs"]


def blob_name(sha256: str) -> str:
    """The name of the blob ``sha256`` in the store: ``<sha256[:2]>/<sha256>``."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return f"{sha256[:2]}/{sha256}"


def blob_root() -> Path:
    return Path(settings.BLOB_DIR)


def blob_path(sha256: str) -> Path:
    """Where the blob ``sha256`` is (or would be) in the local-disk store (``LABDB_DATA_DIR/
    blobs``); code that must work on any backend reads through :func:`open_blob`,
    :func:`blob_file` or :func:`local_blob_copy` instead."""
    return blob_root() / blob_name(sha256)


def blob_location(sha256: str) -> str:
    """Where the blob is, for messages: a path, or ``s3://bucket/key``."""
    return str(blob_store().describe(blob_name(sha256)))


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
    chunks: Iterable[bytes],
    *,
    out: BinaryIO | None = None,
    max_bytes: int | None = None,
    prefixes: dict[int, str] | None = None,
    digest: Any = None,
    size: int = 0,
) -> tuple[str, int]:
    """The sha256 and the size of the concatenated ``chunks``, read once; each chunk is also
    written to ``out`` when given. Raises :class:`BlobTooLarge` as soon as the content passes
    ``max_bytes`` (before that chunk is hashed or written). ``prefixes``: sizes (its keys)
    whose running sha256 is wanted, filled in in the same pass (the sha256 of the first n
    bytes for each n > 0 up to the size; larger ones are left out). ``digest``: the running
    hash to continue (a :class:`labdb.hash_state.RunningSha256` whose state is wanted
    afterwards, or one resumed after ``size`` bytes); a new ``hashlib`` sha256 by default."""
    digest = hashlib.sha256() if digest is None else digest
    pending = sorted(n for n in (prefixes or {}) if n > 0)
    taken: dict[int, str] = {}
    for chunk in chunks:
        if max_bytes is not None and size + len(chunk) > max_bytes:
            raise BlobTooLarge(f"the file is larger than the limit of {max_bytes} bytes")
        view, pos = memoryview(chunk), 0
        while pending and pending[0] <= size + len(chunk):
            cut = pending.pop(0) - size
            digest.update(view[pos:cut])
            taken[size + cut] = digest.copy().hexdigest()
            pos = cut
        digest.update(chunk if pos == 0 else view[pos:])  # no copy of a whole chunk
        size += len(chunk)
        if out is not None:
            out.write(chunk)
    if prefixes is not None:
        prefixes.clear()
        prefixes.update(taken)
    return digest.hexdigest(), size


class _Staged(File):  # type: ignore[type-arg]
    """A staged (complete, hashed) local file handed to the backend: the local store moves it
    into place, S3 uploads it in parts."""

    def temporary_file_path(self) -> str:
        return str(self.name)


def store_chunks(
    chunks: Iterable[bytes],
    *,
    expected_sha256: str | None = None,
    max_bytes: int | None = None,
    prefix_sizes: Iterable[int] = (),
) -> StoredBlob:
    """Store the concatenated ``chunks``; verify ``expected_sha256`` and the size limit first.

    Raises :class:`ChecksumMismatch` or :class:`BlobTooLarge` and stores nothing in that case.
    A stored blob with the same content is kept as it is (``created=False``); only a missing or
    damaged one is written (the damaged bytes are replaced by these verified ones).
    ``prefix_sizes``: the sha256 of the content's first n bytes for each n is taken in the same
    pass (``StoredBlob.prefix_sha256``; how a grown file finds the file it extends).
    """
    prefixes = dict.fromkeys(prefix_sizes, "")
    limit = settings.MAX_UPLOAD_BYTES if max_bytes is None else max_bytes
    digest = RunningSha256()
    with _staged() as (tmp, out):
        sha, size = hash_chunks(chunks, out=out, max_bytes=limit, prefixes=prefixes, digest=digest)
        return _store_staged(tmp, out, sha, size, expected_sha256, prefixes, digest.state())


@contextmanager
def _staged() -> Iterator[tuple[Path, BinaryIO]]:
    """A new file in the store's staging folder, open for writing; removed afterwards (it is
    moved into the store by :func:`_store_staged`)."""
    sweep_staging_now_and_then()
    staging = Path(blob_store().staging_dir())
    staging.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=staging, prefix="upload-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            yield tmp, out
    finally:
        tmp.unlink(missing_ok=True)


def _store_staged(
    tmp: Path,
    out: BinaryIO,
    sha: str,
    size: int,
    expected_sha256: str | None,
    prefixes: dict[int, str],
    state: bytes | None,
) -> StoredBlob:
    """Store the staged file ``tmp`` (all written to ``out``) as the blob ``sha``, after the
    check against the sender's ``expected_sha256`` (:func:`store_chunks`)."""
    out.flush()
    os.fsync(out.fileno())
    if expected_sha256 is not None and expected_sha256.strip().lower() != sha:
        raise ChecksumMismatch(
            f"sha256 mismatch: the client declared {expected_sha256.strip().lower()}, "
            f"the received content has {sha}"
        )
    if _stored_sha256(sha) == sha:
        return StoredBlob(sha, size, False, prefix_sha256=prefixes, sha256_state=state)
    # new content, or a damaged copy that these verified bytes replace
    with tmp.open("rb") as fh:
        blob_store().save(blob_name(sha), _Staged(fh, name=str(tmp)))
    return StoredBlob(sha, size, True, prefix_sha256=prefixes, sha256_state=state)


def store_appended(
    base_sha256: str,
    base_size: int,
    base_state: bytes | None,
    appended: Iterable[bytes],
    *,
    expected_sha256: str | None,
    max_bytes: int | None = None,
) -> StoredBlob | None:
    """Store the stored blob ``base_sha256`` (``base_size`` bytes) followed by ``appended``,
    in time proportional to the appended bytes: the sha256 of the whole continues the base's
    saved running state (``base_state``, :mod:`labdb.hash_state`) over the new bytes only, and
    the base's bytes are copied by the kernel (``copy_file_range``: a reference, not a copy,
    on file systems that share extents). None when that cannot be done (no usable state, an
    object store): the caller streams the verified base and the new bytes through
    :func:`store_chunks` instead. ``prefix_sha256`` holds the base's sha256 at its size.

    *Assumes* the base's stored bytes are those its name and state stand for. They are not
    re-hashed here (that is the cost this avoids); only the stored file's size is checked
    (:class:`BlobCorrupt` otherwise). Damage there is carried into the new blob, whose bytes
    then no longer hash to its name: every verified read (downloads, exports, a whole read by
    a job) refuses it and ``verify_storage`` names it with the base, as it names any damaged
    blob; a job of the new version reads values only from blocks it re-hashes against their
    digests (docs/live.md, "Hashing only what a version adds")."""
    digest = RunningSha256.resumed(base_state, base_sha256)
    source = local_blob_path(base_sha256)
    if digest is None or source is None:
        return None
    _check_size(source, base_sha256, base_size)
    limit = settings.MAX_UPLOAD_BYTES if max_bytes is None else max_bytes
    if base_size > limit:
        raise BlobTooLarge(f"the file is larger than the limit of {limit} bytes")
    with _staged() as (tmp, out), source.open("rb") as src:
        if _copy_range(src, out, base_size) != base_size:
            raise BlobCorrupt(base_sha256, f"damaged (shorter than {base_size} bytes)")
        sha, size = hash_chunks(appended, out=out, max_bytes=limit, digest=digest, size=base_size)
        prefixes = {base_size: base_sha256} if size > base_size else {}
        return _store_staged(tmp, out, sha, size, expected_sha256, prefixes, digest.state())


def _check_size(path: Path, sha256: str, size: int) -> None:
    """:class:`BlobCorrupt` unless the stored file ``path`` of blob ``sha256`` has ``size``
    bytes."""
    try:
        stored_size = path.stat().st_size
    except FileNotFoundError:
        raise BlobCorrupt(sha256, "missing from the store") from None
    if stored_size != size:
        raise BlobCorrupt(sha256, f"damaged (it now has {stored_size} bytes, not {size})")


def _copy_range(src: BinaryIO, out: BinaryIO, size: int) -> int:
    """Append the first ``size`` bytes of ``src`` to ``out``, copied in the kernel where it
    can (``copy_file_range``), else through memory; the number of bytes copied (fewer when
    ``src`` is shorter)."""
    out.flush()
    copied = 0
    try:
        while copied < size and (
            n := os.copy_file_range(src.fileno(), out.fileno(), size - copied)
        ):
            copied += n
    except OSError:  # no such copy between these files here: through memory
        src.seek(copied)
        out.seek(copied)
        while copied < size and (piece := src.read(min(CHUNK_BYTES, size - copied))):
            out.write(piece)
            copied += len(piece)
    return copied


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


def _hash_stored(name: str, *, copy_to: BinaryIO | None = None) -> str | None:
    """The sha256 of the stored bytes under ``name`` (streamed, also copied to ``copy_to``),
    None when there is no such blob."""
    try:
        stream = blob_store().open_stream(name)
    except FileNotFoundError:
        return None
    with closing(stream):
        return hash_chunks(read_chunks(stream), out=copy_to)[0]


def _stored_sha256(sha256: str, *, copy_to: BinaryIO | None = None) -> str | None:
    return _hash_stored(blob_name(sha256), copy_to=copy_to)


def stored_sha256(sha256: str) -> str | None:
    """The sha256 the stored bytes of blob ``sha256`` have now (None when missing)."""
    return _stored_sha256(sha256)


def blob_exists(sha256: str) -> bool:
    return bool(blob_store().exists(blob_name(sha256)))


def _check(sha256: str, actual: str | None) -> None:
    if actual is None:
        raise BlobCorrupt(sha256, "missing from the store")
    if actual != sha256:
        raise BlobCorrupt(sha256, f"damaged (its content now has sha256 {actual})")


def local_blob_path(sha256: str) -> Path | None:
    """The stored file of blob ``sha256`` when the store is a local disk (unverified), None on
    an object store."""
    try:
        return Path(blob_store().path(blob_name(sha256)))
    except NotImplementedError:
        return None


def _temp_dir() -> Path:
    sweep_staging_now_and_then()
    path = Path(settings.DATA_DIR) / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def local_blob_copy(sha256: str) -> Iterator[Path]:
    """A local path with the verified bytes of blob ``sha256``, for libraries that need a path:
    the stored file itself on local disk, a temporary copy (removed afterwards) on an object
    store. Raises :class:`BlobCorrupt` when the blob is missing or damaged."""
    path = local_blob_path(sha256)
    if path is not None:
        _check(sha256, _stored_sha256(sha256))
        yield path
        return
    with tempfile.NamedTemporaryFile(dir=_temp_dir(), prefix="blob-") as tmp:
        _check(sha256, _stored_sha256(sha256, copy_to=tmp))
        tmp.flush()
        yield Path(tmp.name)


def open_blob(sha256: str) -> BinaryIO:
    """The verified blob ``sha256`` open for reading, seekable, from its start (the stored file
    on local disk; a temporary copy, deleted when closed, on an object store). Jobs read and
    downloads serve blobs through this: damaged bytes raise :class:`BlobCorrupt`, never
    trusted."""
    path = local_blob_path(sha256)
    if path is not None:
        _check(sha256, _stored_sha256(sha256))
        return path.open("rb")
    tmp = tempfile.TemporaryFile(dir=_temp_dir(), prefix="blob-")  # noqa: SIM115 (returned open)
    try:
        _check(sha256, _stored_sha256(sha256, copy_to=tmp))  # type: ignore[arg-type]
    except BaseException:
        tmp.close()
        raise
    tmp.seek(0)
    return tmp  # type: ignore[return-value]


@contextmanager
def blob_file(sha256: str) -> Iterator[BinaryIO]:
    """The blob ``sha256`` open for reading (seekable), for readers that take a file object
    (Parquet): on local disk the stored file as it is, read without re-hashing (pages read
    tables often; ``verify_storage`` checks them); on an object store a verified temporary
    copy, since its bytes are fetched whole anyway."""
    path = local_blob_path(sha256)
    if path is not None:
        if not path.is_file():
            raise BlobCorrupt(sha256, "missing from the store")
        with path.open("rb") as fh:
            yield fh
        return
    with closing(open_blob(sha256)) as fh:
        yield fh


#: the block size of a file's block digests (``DataFile.block_sha256``)
BLOCK_BYTES = 256 * 1024


def block_digests(
    sha256: str, first_block: int, block_bytes: int = BLOCK_BYTES
) -> list[str] | None:
    """The sha256 (hex) of each block of ``block_bytes`` of the stored blob ``sha256``, from
    block ``first_block`` to its end (the last one shorter); None on an object store (its
    blob would be fetched to hash a part of it) or when the blob is missing."""
    path = local_blob_path(sha256)
    if path is None:
        return None
    digests = []
    try:
        with path.open("rb") as fh:
            fh.seek(first_block * block_bytes)
            while block := fh.read(block_bytes):
                digests.append(hashlib.sha256(block).hexdigest())
    except FileNotFoundError:
        return None
    return digests


def blocks_verify(sha256: str, size: int, blocks: dict[str, Any], wanted: Iterable[int]) -> bool:
    """Re-hash the blocks ``wanted`` (block numbers; those past the end are left out) of the
    stored blob ``sha256`` of ``size`` bytes against its block digests ``blocks``
    (``{"block_bytes", "sha256"}``, :func:`block_digests`): True when they were checked, False
    when they cannot be (no complete list of digests, an object store); raises
    :class:`BlobCorrupt` when a block differs, or the stored file has another size."""
    block_bytes = int(blocks.get("block_bytes") or 0)
    digests = blocks.get("sha256") or []
    path = local_blob_path(sha256)
    if path is None or block_bytes <= 0 or len(digests) != -(-size // block_bytes):
        return False
    _check_size(path, sha256, size)
    with path.open("rb") as fh:
        for k in sorted({k for k in wanted if 0 <= k < len(digests)}):
            fh.seek(k * block_bytes)
            if hashlib.sha256(fh.read(block_bytes)).hexdigest() != digests[k]:
                raise BlobCorrupt(sha256, f"damaged (its block {k} of {block_bytes} bytes differs)")
    return True


def blob_verify(sha256: str) -> None:
    """Re-hash the stored blob ``sha256`` whole: :class:`BlobCorrupt` when it is missing or
    its content no longer has that sha256."""
    _check(sha256, _stored_sha256(sha256))


def read_blob_head(sha256: str, size: int) -> bytes:
    """The first ``size`` bytes of blob ``sha256`` (unverified: enough to sniff a file's type
    without fetching all of it from an object store)."""
    try:
        stream = blob_store().open_stream(blob_name(sha256))
    except FileNotFoundError:
        raise BlobCorrupt(sha256, "missing from the store") from None
    with closing(stream):
        return bytes(stream.read(size))


def read_blob(sha256: str) -> bytes:
    """The verified bytes of a (small) blob, e.g. a stored result JSON."""
    with closing(open_blob(sha256)) as fh:
        return fh.read()


def copy_blob_to(sha256: str, dest: Path) -> None:
    """Write the verified bytes of blob ``sha256`` to ``dest``."""
    with closing(open_blob(sha256)) as src, dest.open("wb") as out:
        shutil.copyfileobj(src, out, CHUNK_BYTES)


def iter_blobs() -> Iterator[tuple[str, str]]:
    """Every stored blob as (the sha256 its name claims, where it is)."""
    for name in blob_store().iter_names():
        yield name.rsplit("/", 1)[-1], name


def check_stored(name: str) -> tuple[str | None, str]:
    """(the sha256 the bytes stored under ``name`` have now or None when gone, where they are):
    ``verify_storage`` compares it with the sha256 the name claims."""
    return _hash_stored(name), str(blob_store().describe(name))
