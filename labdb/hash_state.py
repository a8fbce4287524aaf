"""A running sha256 whose state can be kept with a stored file and resumed later.

A file the cycler is still writing arrives as versions, each the earlier one plus new bytes
(docs/live.md). Each version is one content-addressed file, named by the sha256 of its whole
content, so without more the server hashes the whole file again for every version: time that
grows with the file, not with what was appended. SHA-256 reads its input in order, so the
sha256 of ``earlier + new`` is the earlier content's *running state* continued over ``new``.
``hashlib`` cannot save that state; `rehashes <https://github.com/CERT-Polska/rehashes>`_
(RustCrypto's sha2, made for chunked uploads) can, so a stored file keeps its state
(``DataFile.sha256_state``) and an append hashes only its new bytes.

Where rehashes is not installed (its wheels are for Linux; requirements.txt installs it
there only) the hash is ``hashlib``'s, no state is kept and an append re-hashes the whole
file, as before. A saved state names the library version that wrote it; a state of another
version, or one that does not finish to the file's own sha256, is not used.
"""

from __future__ import annotations

import hashlib
from importlib import metadata
from typing import Any

try:
    from rehashes import PySha256
except ImportError:  # pragma: no cover (installed wherever its wheels exist)
    PySha256 = None

#: the prefix of a saved state: which library (and version) can resume it
STATE_TAG = (
    f"rehashes-{metadata.version('rehashes')}/sha256:".encode() if PySha256 is not None else b""
)


class RunningSha256:
    """sha256 of the bytes given so far; :meth:`state` saves it (None without rehashes)."""

    def __init__(self, inner: Any = None) -> None:
        if inner is None:
            inner = PySha256() if PySha256 is not None else hashlib.sha256()
        self._inner = inner

    def update(self, data: bytes | bytearray | memoryview) -> None:
        # rehashes takes bytes only; chunks of an upload or a file are bytes already
        self._inner.update(data if isinstance(data, bytes) or PySha256 is None else bytes(data))

    def hexdigest(self) -> str:
        """The digest so far (the hash can go on afterwards)."""
        if PySha256 is not None:
            return str(self._inner.finalize())  # finalizes a copy
        return self._inner.hexdigest()

    def copy(self) -> RunningSha256:
        if PySha256 is not None:
            return RunningSha256(PySha256.deserialize(self._inner.serialize()))
        return RunningSha256(self._inner.copy())

    def state(self) -> bytes | None:
        """The state to resume from (:meth:`resumed`), tagged with the library that wrote it;
        None where it cannot be saved."""
        if PySha256 is None:
            return None
        return STATE_TAG + bytes(self._inner.serialize())

    @classmethod
    def resumed(cls, state: bytes | memoryview | None, sha256: str) -> RunningSha256 | None:
        """The hash of a content whose sha256 is ``sha256``, from its saved ``state``, ready for
        the bytes that follow; None when the state is missing, from another library version,
        unreadable, or does not finish to ``sha256`` (so it is not that content's)."""
        if PySha256 is None or not state:
            return None
        state = bytes(state)
        if not state.startswith(STATE_TAG):
            return None
        try:
            inner = PySha256.deserialize(state[len(STATE_TAG) :])
        except ValueError:
            return None
        resumed = cls(inner)
        return resumed if resumed.hexdigest() == sha256 else None
