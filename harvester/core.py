"""Watching folders and uploading files: :class:`Harvester`.

Per file and pass (:meth:`Harvester.consider`): a file whose size and modification time are
what was last uploaded is done. Otherwise it is uploaded once it has been stable (size and
mtime unchanged for ``stable_seconds``), or, with ``follow_seconds``, while it still grows,
at most every ``follow_seconds`` and up to its last complete line. A file that grew since its
last upload, and whose beginning is still the bytes sent then (sha256, :mod:`harvester.follow`),
goes in append mode: only the new bytes, naming the server's file they continue; the server
builds and verifies the whole file and records it as the next version (docs/live.md). A file
that was truncated, replaced or rewritten is sent whole, as a new file. If the server refuses
the append (409: it does not hold that base), the whole file is sent.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harvester.client import CHUNK_BYTES, Client, Rejected, TransportError
from harvester.config import Watch
from harvester.follow import Digests, line_cut
from harvester.state import State

log = logging.getLogger("labdb.harvester")


@dataclass
class Options:
    url: str
    token: str
    watch: Path | None = None
    pattern: str = "*"
    run_regex: re.Pattern[str] | None = None
    state_path: Path | None = None
    stable_seconds: float = 5.0
    interval: float = 5.0
    create_runs: bool = False
    recursive: bool = False
    format: str = ""
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    max_retries: int | None = None
    timeout: float = 60.0
    #: upload a file that keeps growing at most this often (None: only once it is stable)
    follow_seconds: float | None = None
    #: several folders with their run mapping (config file); else the single ``watch``
    watches: list[Watch] = field(default_factory=list)

    def all_watches(self) -> list[Watch]:
        if self.watches:
            return self.watches
        if self.watch is None:
            raise SystemExit("nothing to watch: give --watch or a config file")
        return [
            Watch(
                folder=self.watch,
                pattern=self.pattern,
                run_regex=self.run_regex,
                recursive=self.recursive,
                format=self.format,
                create_runs=self.create_runs,
            )
        ]

    def state_file(self) -> Path:
        return self.state_path or self.all_watches()[0].folder / ".labdb-harvester.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Harvester:
    def __init__(self, options: Options, client: Client | None = None) -> None:
        self.o = options
        self.watches = options.all_watches()
        self.client = client or Client(options.url, options.token, options.timeout)
        self.state = State.load(options.state_file())
        self.digests = Digests()

    # --- finding files ----------------------------------------------------------------------
    def candidates(self) -> list[tuple[Path, Watch]]:
        state = self.o.state_file().resolve()
        seen: set[Path] = set()
        found = []
        for watch in self.watches:
            for path in watch.files(state):
                if path not in seen:
                    seen.add(path)
                    found.append((path, watch))
        return found

    def is_stable(self, path: Path, now: float) -> bool:
        """True once size and mtime are unchanged since an observation ``stable_seconds`` ago."""
        st = path.stat()
        key = str(path)
        seen = self.state.observed.get(key)
        current = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
        if seen is None or seen["size"] != st.st_size or seen["mtime_ns"] != st.st_mtime_ns:
            first = seen.get("first", seen["since"]) if seen else now
            self.state.observed[key] = {**current, "since": now, "first": first}
            self.state.save()
            if seen is not None:
                log.debug("%s is still growing (%d bytes)", path.name, st.st_size)
            return False
        return now - float(seen["since"]) >= self.o.stable_seconds

    def _follow_due(self, key: str, now: float) -> bool:
        if self.o.follow_seconds is None:
            return False
        done = self.state.uploaded.get(key)
        seen = self.state.observed.get(key) or {}
        last = float(done.get("at_s", 0.0)) if done else float(seen.get("first", now))
        return now - last >= self.o.follow_seconds

    # --- one pass ---------------------------------------------------------------------------
    def scan(self) -> tuple[int, int]:
        """One pass over the watched folders; returns (uploaded, waiting)."""
        uploaded = waiting = 0
        now = time.time()
        for path, watch in self.candidates():
            try:
                outcome = self.consider(path, watch, now)
            except FileNotFoundError:  # gone (rotated away) or shrank while read
                self.digests.forget(str(path))
                continue
            uploaded += outcome == "uploaded"
            waiting += outcome == "waiting"
        return uploaded, waiting

    def consider(self, path: Path, watch: Watch, now: float) -> str:
        """``done``, ``waiting`` or ``uploaded`` for one file (see the module docstring)."""
        key = str(path)
        st = path.stat()
        done = self.state.uploaded.get(key)
        if done is not None and (done["size"], done["mtime_ns"]) == (st.st_size, st.st_mtime_ns):
            return "done"
        if self.is_stable(path, now):
            end = st.st_size
        elif self._follow_due(key, now):
            end = line_cut(path, st.st_size)
            sent = int(done["size"]) if done is not None and done.get("sha256") else 0
            # nothing new yet, unless the file was truncated (it starts over)
            if end == 0 or (sent and sent <= st.st_size and end <= sent):
                return "waiting"
        else:
            return "waiting"
        fields = watch.run_fields(path)
        if fields is None:
            log.warning("%s: no test run for this file name (see the run mapping)", path.name)
            self.mark(path, st.st_size, error="no run for the file name")
            return "done"
        return "uploaded" if self.harvest(path, watch, fields, end) else "waiting"

    def mark(self, path: Path, size: int, **info: Any) -> None:
        st = path.stat()
        self.state.uploaded[str(path)] = {
            "size": size,
            "mtime_ns": st.st_mtime_ns,
            "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "at_s": time.time(),
            **info,
        }
        if size == st.st_size:
            self.state.observed.pop(str(path), None)
        self.state.save()

    def harvest(self, path: Path, watch: Watch, fields: dict[str, str], end: int) -> bool:
        """Upload bytes ``0..end`` of one file (in append mode when it continues its last
        upload), retrying while the server is unreachable. True when they are there."""
        key = str(path)
        label = fields["label"]
        before = self.state.uploaded.get(key) or {}
        base_size = int(before.get("size", 0)) if before.get("file") and before.get("sha256") else 0
        prefix_sha, sha = self.digests.of(path, base_size, end)
        extends = before.get("file") if base_size and prefix_sha == before["sha256"] else None
        if base_size and extends is None:
            log.info("%s was truncated, replaced or rewritten: sending it whole", path.name)
        if extends is not None and base_size == end:  # touched, not changed
            kept = {k: v for k, v in before.items() if k not in ("size", "mtime_ns", "at", "at_s")}
            self.mark(path, end, **kept)
            return True
        for other, done in self.state.uploaded.items():
            if done.get("sha256") == sha and done.get("run") == label and other != key:
                log.info("%s: same content as an uploaded file; not sent again", path.name)
                self.mark(path, end, sha256=sha, run=label, file=done.get("file"))
                return True
        created_run = False
        attempt = 0
        while True:
            start = base_size if extends else 0
            try:
                status, record = self.client.upload(
                    label, path, sha, watch.format, start=start, end=end, extends=extends
                )
            except TransportError as exc:
                attempt += 1
                if self.o.max_retries is not None and attempt > self.o.max_retries:
                    log.error(
                        "%s: giving up for now after %d attempts: %s", path.name, attempt, exc
                    )
                    return False
                delay = min(self.o.backoff_max, self.o.backoff_base * 2 ** (attempt - 1))
                delay *= 0.8 + 0.4 * random.random()  # nosec B311  # retry jitter, not a secret
                log.warning(
                    "%s: server unreachable (%s); retry %d in %.1f s",
                    path.name,
                    exc,
                    attempt,
                    delay,
                )
                time.sleep(delay)
                continue
            except Rejected as exc:
                if exc.status == 409 and extends:
                    log.warning(
                        "%s: the server refused the append (%s); sending it whole", path.name, exc
                    )
                    extends = None
                    continue
                if exc.status == 404 and watch.create_runs and not created_run:
                    created_run = self.create_run(path, fields)
                    if created_run:
                        continue
                if exc.status == 400 and "sha256" in exc.message:
                    log.warning("%s changed while being sent; will try again", path.name)
                    self.state.observed.pop(key, None)
                    self.digests.forget(key)
                    return False
                log.error("%s: refused by the server (%s)", path.name, exc)
                if exc.status in (401, 403, 404):
                    return False  # credentials or run may be fixed: try again on a later pass
                self.mark(path, path.stat().st_size, sha256=sha, run=label, error=str(exc))
                return False
            job = record.get("job") or {}
            verb = "uploaded" if status == 201 else "already on the server"
            log.info(
                "%s: %s bytes 0..%d%s as file %s version %s (sha256 %s) on run %s, job %s %s",
                path.name,
                verb,
                end,
                f" (appended {end - start})" if extends else "",
                record.get("id"),
                record.get("version"),
                sha[:12],
                label,
                job.get("id"),
                job.get("status"),
            )
            self.mark(
                path,
                end,
                sha256=sha,
                run=label,
                file=record.get("id"),
                version=record.get("version"),
                job=job.get("id"),
            )
            return True

    def create_run(self, path: Path, fields: dict[str, str]) -> bool:
        if "cell" not in fields or "protocol" not in fields:
            log.error(
                "%s: run %s does not exist and the name has no cell/protocol groups",
                path.name,
                fields["label"],
            )
            return False
        try:
            run = self.client.create_run(fields)
        except Rejected as exc:
            log.error("%s: could not create run %s (%s)", path.name, fields["label"], exc)
            return False
        log.info(
            "created test run %s (cell %s, protocol %s)",
            run.get("label"),
            fields["cell"],
            fields["protocol"],
        )
        return True

    # --- loops ------------------------------------------------------------------------------
    def run_once(self, deadline_s: float) -> int:
        """Pass over the folders until nothing is waiting (or ``deadline_s`` has passed)."""
        end = time.monotonic() + deadline_s
        total = 0
        while True:
            uploaded, waiting = self.scan()
            total += uploaded
            if not waiting or time.monotonic() >= end:
                if waiting:
                    log.info("%d file(s) still waiting; they will go on a later run", waiting)
                return total
            time.sleep(min(self.o.interval, max(0.05, self.o.stable_seconds / 2)))

    def run_forever(self, stop: Any = None) -> None:
        """Scan every ``interval`` seconds until ``stop`` (a ``threading.Event``) is set."""
        for watch in self.watches:
            log.info("watching %s for %s", watch.folder, watch.pattern)
        while stop is None or not stop.is_set():
            self.scan()
            if stop is not None:
                stop.wait(self.o.interval)
            else:
                time.sleep(self.o.interval)
