"""Leftovers in the temporary folders: what a killed process was writing.

Uploads are written and hashed in a staging file before they are stored (:mod:`labdb.storage`),
readers that need a path get a temporary local copy of a blob, exports and RO-Crate downloads
are built in a temporary folder. Each removes its file when it ends, in a ``finally``; a process
killed with SIGKILL (the OOM killer, ``kill -9``, a host reset) cannot, and its partial file
stays. Nothing reads such a file again (it has a random name and no record points at it), so
it only takes disk space: at 2 GiB per upload a few kills fill a small disk.

:func:`sweep_staging` removes every entry of the staging folders (the data directory's ``tmp/``
and the local blob store's own ``tmp/``) not modified for ``LABDB_STAGING_MAX_AGE_S`` (24 h by
default). A folder's age is that of the newest entry inside it. The assumption: no live
process leaves a temporary file untouched for that long (an upload in progress writes to its
file continually; a job or an export holding a copy for a day would have been stopped by its
lease long before). Each process that stages files runs the sweep of its own host's folders
at most once per ``LABDB_STAGING_SWEEP_S`` (1 h) from :func:`sweep_staging_now_and_then` (the
web on an upload, a worker when it reads or stores a blob), so hosts that share no disk each
clean their own; beat also runs it hourly (task ``labdb.sweep_staging``).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.files.storage import storages

log = logging.getLogger(__name__)

_lock = threading.Lock()
_last_sweep: float | None = None


def staging_folders() -> list[Path]:
    """The temporary folders of this host: the data directory's ``tmp/`` and the blob store's
    staging folder (the same on S3, ``blobs/tmp`` on a local store)."""
    folders = [Path(settings.DATA_DIR) / "tmp", Path(storages["blobs"].staging_dir())]
    return list(dict.fromkeys(folders))


def _newest_mtime(path: Path) -> float:
    """The latest modification time of ``path`` or of anything inside it (a folder that is
    still being written to is young)."""
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                try:
                    newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
                except FileNotFoundError:
                    continue
    return newest


def sweep_staging(*, max_age_s: float | None = None, now: float | None = None) -> list[str]:
    """Remove the entries of the staging folders not modified for ``max_age_s`` seconds
    (``settings.STAGING_MAX_AGE_S`` by default); returns the paths removed."""
    max_age = settings.STAGING_MAX_AGE_S if max_age_s is None else max_age_s
    cutoff = (time.time() if now is None else now) - max_age
    removed: list[str] = []
    for folder in staging_folders():
        try:
            entries = list(folder.iterdir())
        except FileNotFoundError:
            continue
        for entry in entries:
            try:
                if _newest_mtime(entry) >= cutoff:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
            except FileNotFoundError:  # its process removed it meanwhile
                continue
            except OSError:
                log.warning("could not remove the stale temporary %s", entry, exc_info=True)
                continue
            removed.append(str(entry))
    if removed:
        log.info("removed %d stale temporary files and folders: %s", len(removed), removed)
    return removed


def sweep_staging_now_and_then() -> None:
    """:func:`sweep_staging` when this process has not swept for ``STAGING_SWEEP_S``; never
    raises (a failed sweep must not fail the upload that triggered it)."""
    global _last_sweep
    now = time.monotonic()
    recent = _last_sweep is not None and now - _last_sweep < settings.STAGING_SWEEP_S
    if recent or not _lock.acquire(blocking=False):
        return
    try:
        _last_sweep = now
        sweep_staging()
    except Exception:
        log.warning("the sweep of stale temporary files failed", exc_info=True)
    finally:
        _lock.release()
