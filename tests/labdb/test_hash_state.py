"""The running sha256 kept with each stored file (labdb.hash_state): the same digest as
hashlib's for any cut of the bytes, and a saved state resumed in another process continues it;
a state of another content, library version or garbage is refused."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from labdb import hash_state
from labdb.hash_state import RunningSha256

pytestmark = pytest.mark.skipif(
    hash_state.PySha256 is None, reason="rehashes is not installed (its wheels are Linux-only)"
)


def test_digests_equal_hashlibs_for_any_cut_and_resume_from_a_saved_state() -> None:
    data = os.urandom(300_001)
    for cut in (0, 1, 63, 64, 65, 4096, 150_000, 300_000, 300_001):
        first = RunningSha256()
        first.update(data[:cut])
        assert first.hexdigest() == hashlib.sha256(data[:cut]).hexdigest()
        resumed = RunningSha256.resumed(first.state(), hashlib.sha256(data[:cut]).hexdigest())
        assert resumed is not None
        resumed.update(memoryview(data)[cut:])
        assert resumed.hexdigest() == hashlib.sha256(data).hexdigest()
        # the digest of a copy leaves the original going on
        branch = first.copy()
        branch.update(b"x")
        first.update(data[cut:])
        assert first.hexdigest() == hashlib.sha256(data).hexdigest()
        assert branch.hexdigest() == hashlib.sha256(data[:cut] + b"x").hexdigest()


def test_a_state_resumes_in_another_process() -> None:
    hasher = RunningSha256()
    hasher.update(b"cycle 1\n" * 1000)
    code = (
        "import sys; from labdb.hash_state import RunningSha256 as R; "
        "h = R.resumed(bytes.fromhex(sys.argv[1]), sys.argv[2]); h.update(b'cycle 2\\n'); "
        "print(h.hexdigest())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, hasher.state().hex(), hasher.hexdigest()],  # type: ignore[union-attr]
        capture_output=True,
        text=True,
        check=True,
    )
    expected = hashlib.sha256(b"cycle 1\n" * 1000 + b"cycle 2\n").hexdigest()
    assert out.stdout.strip() == expected


def test_a_state_that_is_not_the_contents_is_refused() -> None:
    hasher = RunningSha256()
    hasher.update(b"abc")
    state = hasher.state()
    assert state is not None and state.startswith(hash_state.STATE_TAG)
    assert RunningSha256.resumed(state, hashlib.sha256(b"abd").hexdigest()) is None
    assert RunningSha256.resumed(None, hasher.hexdigest()) is None
    other_version = b"rehashes-0.0.1/sha256:" + state[len(hash_state.STATE_TAG) :]
    assert RunningSha256.resumed(other_version, hasher.hexdigest()) is None
    garbage = hash_state.STATE_TAG + b"\x00" * (len(state) - len(hash_state.STATE_TAG))
    assert RunningSha256.resumed(garbage, hasher.hexdigest()) is None
    assert RunningSha256.resumed(hash_state.STATE_TAG + b"short", hasher.hexdigest()) is None
