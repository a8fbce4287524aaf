"""Following a file the instrument is still writing: what to send, and proof that the bytes
already sent are still the file's beginning.

:class:`Digests` gives the sha256 of the part already on the server (the *prefix*) and of the
part to send now, in one read. While the harvester runs it keeps the hash of the last upload
and reads only the new bytes, as long as the file is the same file (same inode/file id) and
the 4 KiB before the old end are unchanged; after a restart, or when in doubt, it reads the file
from its start. :func:`line_cut` ends an upload of a growing file after its last complete line
(an instrument writes rows of text; a half-written row is not sent).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BLOCK = 1024 * 1024
FINGERPRINT_BYTES = 4096


def _fingerprint(fh: Any, end: int) -> str:
    start = max(0, end - FINGERPRINT_BYTES)
    fh.seek(start)
    return hashlib.sha256(fh.read(end - start)).hexdigest()


def line_cut(path: Path, size: int) -> int:
    """The byte offset after the last newline in the first ``size`` bytes (0 if none in
    the last MiB)."""
    with path.open("rb") as fh:
        start = max(0, size - BLOCK)
        fh.seek(start)
        block = fh.read(size - start)
    i = block.rfind(b"\n")
    return start + i + 1 if i >= 0 else 0


@dataclass
class _Known:
    size: int
    identity: tuple[int, int]
    fingerprint: str
    digest: Any  # hashlib object over bytes 0..size


class Digests:
    """sha256 of a file's prefix and of its first ``end`` bytes, reading as little as it can
    (see the module docstring)."""

    def __init__(self) -> None:
        self._known: dict[str, _Known] = {}

    def forget(self, key: str) -> None:
        self._known.pop(key, None)

    def of(self, path: Path, prefix: int, end: int) -> tuple[str | None, str]:
        """(sha256 of bytes ``0..prefix`` or None when ``prefix`` is 0 or past ``end``,
        sha256 of bytes ``0..end``)."""
        key = str(path)
        st = os.stat(path)
        identity = (st.st_dev, st.st_ino)
        with path.open("rb") as fh:
            known = self._known.get(key)
            prefix_sha: str | None = None
            if (
                known is not None
                and 0 < prefix == known.size <= end
                and known.identity == identity
                and _fingerprint(fh, prefix) == known.fingerprint
            ):
                digest = known.digest.copy()
                prefix_sha = digest.hexdigest()
                position = prefix
            else:
                digest = hashlib.sha256()
                position = 0
            fh.seek(position)
            while position < end:
                if prefix_sha is None and 0 < prefix <= end and position == prefix:
                    prefix_sha = digest.hexdigest()
                stop = prefix if position < prefix <= end else end
                block = fh.read(min(BLOCK, stop - position))
                if not block:
                    raise FileNotFoundError(f"{path} shrank while being read")
                digest.update(block)
                position += len(block)
            if prefix_sha is None and 0 < prefix <= end:
                prefix_sha = digest.hexdigest()
            self._known[key] = _Known(end, identity, _fingerprint(fh, end), digest.copy())
        return prefix_sha, digest.hexdigest()
