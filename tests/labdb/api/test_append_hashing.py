"""Append mode in time proportional to the appended bytes (docs/live.md, "Hashing only what a
version adds"): the whole file's sha256 continues the base's saved hash state over the new
bytes, and the base's bytes are copied by the kernel, not hashed again. What that assumes
(the base's stored bytes are intact) is checked where it matters: a base of another size is
refused, a damaged one is carried into a blob that every verified read refuses and
``verify_storage`` names; a base without a state is verified whole, as before."""

from __future__ import annotations

from typing import Any

import pytest

from labdb import hash_state
from labdb import models as m
from labdb.hash_state import RunningSha256
from labdb.services.integrity import storage_verify
from labdb.staging import staging_folders
from labdb.storage import BlobCorrupt, blob_path, blob_verify
from tests.labdb.api.conftest import sha, token_client
from tests.labdb.api.test_growing import cycler_file, post

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(hash_state.PySha256 is None, reason="rehashes is not installed"),
]


@pytest.fixture
def uploader(demo_user: Any, run: m.TestRun) -> Any:
    return token_client(demo_user, "upload")


def staging_dir_files() -> list[str]:
    """Files left in the staging folders (an upload that failed must leave none)."""
    return [p.name for d in staging_folders() if d.is_dir() for p in d.rglob("*") if p.is_file()]


def _append(uploader: Any, data: bytes, base: dict[str, Any], **fields: Any) -> Any:
    offset = fields.pop("offset", base["size_bytes"])
    return post(
        uploader,
        data[offset:],
        digest=fields.pop("digest", sha(data)),
        extends=base["id"],
        offset=offset,
    )


def test_each_version_keeps_the_state_its_append_resumes(uploader: Any) -> None:
    data = cycler_file(cycles=6)
    cuts = [len(data) // 3, len(data) // 2 + 5, len(data)]
    first = post(uploader, data[: cuts[0]]).json()
    bodies = [first]
    for cut in cuts[1:]:
        r = _append(uploader, data[:cut], bodies[-1])
        assert r.status_code == 201, r.content
        bodies.append(r.json())
    for body, cut in zip(bodies, cuts, strict=True):
        f = m.DataFile.objects.get(pk=body["id"])
        assert f.sha256 == sha(data[:cut]) and blob_path(f.sha256).read_bytes() == data[:cut]
        resumed = RunningSha256.resumed(f.sha256_state, f.sha256)
        assert resumed is not None  # the state is the content's: it finishes to its sha256
        resumed.update(b"more")
        assert resumed.hexdigest() == sha(data[:cut] + b"more")
    assert [b["version"] for b in bodies] == [1, 2, 3]
    assert "sha256_state" not in bodies[-1]  # kept server-side, never shown
    assert staging_dir_files() == []


def test_the_base_is_not_hashed_again_and_its_damage_is_found_by_verified_reads(
    uploader: Any,
) -> None:
    data = cycler_file(cycles=6)
    cut = len(data) // 2
    base = post(uploader, data[:cut]).json()
    stored = blob_path(base["sha256"])
    damaged = bytearray(stored.read_bytes())
    damaged[cut // 2] ^= 0x01  # a flipped bit on disk, same size
    stored.write_bytes(bytes(damaged))
    r = _append(uploader, data, base)
    # taken: this is what not re-hashing the base means (the cost is the new bytes')
    assert r.status_code == 201, r.content
    grown = r.json()
    assert grown["sha256"] == sha(data) and grown["extends"] == base["id"]
    # the carried damage is not silent: the new blob's bytes no longer hash to its name
    with pytest.raises(BlobCorrupt):
        blob_verify(grown["sha256"])
    named = {p["sha256"] for p in storage_verify().problems}
    assert named == {base["sha256"], grown["sha256"]}


def test_a_base_of_another_stored_size_is_refused_and_nothing_is_kept(
    uploader: Any, settings: Any
) -> None:
    data = cycler_file(cycles=4)
    base = post(uploader, data[:5000]).json()
    stored = blob_path(base["sha256"])
    stored.write_bytes(stored.read_bytes()[:4000])  # truncated on disk
    r = _append(uploader, data, base)
    assert r.status_code == 409 and "4000 bytes" in r.json()["detail"], r.content
    assert m.DataFile.objects.count() == 1 and staging_dir_files() == []


def test_a_wrong_whole_sha256_or_an_oversized_append_stores_nothing(
    uploader: Any, settings: Any
) -> None:
    data = cycler_file(cycles=4)
    base = post(uploader, data[:5000]).json()
    wrong = _append(uploader, data, base, digest=sha(data + b"x"))
    assert wrong.status_code == 400 and "sha256 mismatch" in wrong.json()["sha256"][0]
    settings.MAX_UPLOAD_BYTES = 5000 + 100  # the whole file counts, not only the new bytes
    big = _append(uploader, data[:5000] + b"0" * 300, base)
    assert big.status_code == 413, big.content
    assert m.DataFile.objects.count() == 1
    assert not blob_path(sha(data)).exists() and staging_dir_files() == []


def test_a_base_without_a_state_is_verified_whole_and_its_version_gets_one(
    uploader: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = cycler_file(cycles=6)
    cut = len(data) // 2
    with monkeypatch.context() as patch:  # a file stored before states were kept
        patch.setattr(hash_state, "PySha256", None)
        base = post(uploader, data[:cut]).json()
    assert m.DataFile.objects.get(pk=base["id"]).sha256_state is None
    stored = blob_path(base["sha256"])
    good = stored.read_bytes()
    stored.write_bytes(good[:100] + b"X" + good[101:])
    refused = _append(uploader, data[: cut + 1000], base)
    assert refused.status_code == 409 and "damaged" in refused.json()["detail"]
    stored.write_bytes(good)
    grown = _append(uploader, data, base)
    assert grown.status_code == 201, grown.content
    f = m.DataFile.objects.get(pk=grown.json()["id"])
    assert f.extends_id is not None and str(f.extends_id) == base["id"]
    assert RunningSha256.resumed(f.sha256_state, sha(data)) is not None
