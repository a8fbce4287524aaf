"""Temporary files a killed process leaves (a partial upload, a blob copy, an export folder) are
removed once untouched for STAGING_MAX_AGE_S, by each process that stages files and by beat;
anything younger, or a folder with a young file inside, stays."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from labdb import staging
from labdb.storage import store_chunks


def _aged(path: Path, age_s: float) -> Path:
    stamp = time.time() - age_s
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def folders(settings: Any, tmp_path: Path) -> tuple[Path, Path]:
    settings.DATA_DIR = tmp_path / "data"
    settings.BLOB_DIR = tmp_path / "blobs"
    settings.STAGING_MAX_AGE_S = 3600
    data_tmp = settings.DATA_DIR / "tmp"
    blob_tmp = settings.BLOB_DIR / "tmp"
    data_tmp.mkdir(parents=True)
    blob_tmp.mkdir(parents=True)
    return data_tmp, blob_tmp


def test_sweep_removes_only_what_is_older_than_the_limit(folders: tuple[Path, Path]) -> None:
    data_tmp, blob_tmp = folders
    killed_upload = blob_tmp / "upload-abc"
    killed_upload.write_bytes(b"x" * 1000)
    _aged(killed_upload, 2 * 3600)
    live_upload = blob_tmp / "upload-def"
    live_upload.write_bytes(b"still being written")
    old_copy = data_tmp / "blob-123"
    old_copy.write_bytes(b"a copy for a reader")
    _aged(old_copy, 3700)
    old_export = data_tmp / "export-1"
    (old_export / "crate").mkdir(parents=True)
    _aged(old_export / "crate", 5 * 3600)
    _aged(old_export, 5 * 3600)
    busy_export = data_tmp / "export-2"
    busy_export.mkdir()
    (busy_export / "part.zip").write_bytes(b"written a second ago")
    _aged(busy_export, 5 * 3600)  # the folder is old, a file in it is not

    removed = staging.sweep_staging()

    assert sorted(Path(p).name for p in removed) == ["blob-123", "export-1", "upload-abc"]
    assert live_upload.exists() and busy_export.exists()
    assert not killed_upload.exists() and not old_copy.exists() and not old_export.exists()


def test_storing_a_blob_sweeps_at_most_once_per_interval(
    folders: tuple[Path, Path], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, blob_tmp = folders
    settings.STAGING_SWEEP_S = 3600
    monkeypatch.setattr(staging, "_last_sweep", None)
    first = blob_tmp / "upload-killed-1"
    first.write_bytes(b"partial")
    _aged(first, 2 * 3600)

    store_chunks([b"new data"])
    assert not first.exists()
    # left after the sweep: the next sweep is due only an interval later
    second = blob_tmp / "upload-killed-2"
    second.write_bytes(b"partial")
    _aged(second, 2 * 3600)
    store_chunks([b"more data"])
    assert second.exists()
    monkeypatch.setattr(staging, "_last_sweep", time.monotonic() - 3601)
    store_chunks([b"yet more data"])
    assert not second.exists()


def test_beat_runs_the_sweep_hourly(settings: Any) -> None:
    entry = next(
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "labdb.sweep_staging"
    )
    assert entry["schedule"] <= 3600
