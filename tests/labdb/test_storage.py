"""The blob store's one hashing loop and its file-name cleaning."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

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
