"""Watching the folder and uploading each complete file once: :class:`Harvester`."""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harvester.client import CHUNK_BYTES, Client, Rejected, TransportError
from harvester.state import State

log = logging.getLogger("labdb.harvester")


@dataclass
class Options:
    url: str
    token: str
    watch: Path
    pattern: str
    run_regex: re.Pattern[str]
    state_path: Path
    stable_seconds: float = 5.0
    interval: float = 5.0
    create_runs: bool = False
    recursive: bool = False
    format: str = ""
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    max_retries: int | None = None
    timeout: float = 60.0


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Harvester:
    def __init__(self, options: Options, client: Client | None = None) -> None:
        self.o = options
        self.client = client or Client(options.url, options.token, options.timeout)
        self.state = State.load(options.state_path)

    # --- finding files ----------------------------------------------------------------------
    def candidates(self) -> list[Path]:
        pattern = "**/*" if self.o.recursive else "*"
        state = self.o.state_path.resolve()
        return [
            p
            for p in sorted(self.o.watch.glob(pattern))
            if p.is_file() and fnmatch.fnmatch(p.name, self.o.pattern) and p.resolve() != state
        ]

    def run_fields(self, path: Path) -> dict[str, str] | None:
        match = self.o.run_regex.search(path.name)
        if match is None:
            return None
        groups = match.groupdict()
        run = groups.get("run") or (match.group(1) if match.groups() else None)
        if not run:
            return None
        fields = {"label": run}
        for key in ("cell", "protocol", "channel", "instrument"):
            if groups.get(key):
                fields[key] = groups[key]
        return fields

    def is_stable(self, path: Path, now: float) -> bool:
        """True once size and mtime are unchanged since an observation ``stable_seconds`` ago."""
        st = path.stat()
        key = str(path)
        seen = self.state.observed.get(key)
        current = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
        if seen is None or seen["size"] != st.st_size or seen["mtime_ns"] != st.st_mtime_ns:
            self.state.observed[key] = {**current, "since": now}
            self.state.save()
            if seen is not None:
                log.info("%s is still growing (%d bytes)", path.name, st.st_size)
            return False
        return now - float(seen["since"]) >= self.o.stable_seconds

    def already_uploaded(self, path: Path) -> bool:
        done = self.state.uploaded.get(str(path))
        if done is None:
            return False
        st = path.stat()
        return bool(done["size"] == st.st_size and done["mtime_ns"] == st.st_mtime_ns)

    # --- one pass ---------------------------------------------------------------------------
    def scan(self) -> tuple[int, int]:
        """Upload every stable, not yet uploaded file once; returns (uploaded, waiting)."""
        uploaded = waiting = 0
        now = time.time()
        for path in self.candidates():
            try:
                if self.already_uploaded(path):
                    continue
                if not self.is_stable(path, now):
                    waiting += 1
                    continue
            except FileNotFoundError:
                continue
            fields = self.run_fields(path)
            if fields is None:
                log.warning("%s: the file name does not match --test-run-from-filename", path.name)
                self.mark(path, error="name does not match")
                continue
            if self.harvest(path, fields):
                uploaded += 1
            else:
                waiting += 1
        return uploaded, waiting

    def mark(self, path: Path, **info: Any) -> None:
        st = path.stat()
        self.state.uploaded[str(path)] = {
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **info,
        }
        self.state.observed.pop(str(path), None)
        self.state.save()

    def harvest(self, path: Path, fields: dict[str, str]) -> bool:
        """Upload one file, retrying while the server is unreachable. True when it is there."""
        sha = sha256_file(path)
        for done in self.state.uploaded.values():
            if done.get("sha256") == sha and done.get("run") == fields["label"]:
                log.info("%s: same content as an uploaded file; not sent again", path.name)
                self.mark(path, sha256=sha, run=fields["label"], duplicate_of=done.get("file"))
                return True
        created_run = False
        attempt = 0
        while True:
            try:
                status, record = self.client.upload(fields["label"], path, sha, self.o.format)
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
                if exc.status == 404 and self.o.create_runs and not created_run:
                    created_run = self.create_run(path, fields)
                    if created_run:
                        continue
                if exc.status == 400 and "sha256" in exc.message:
                    log.warning("%s changed while being sent; will try again", path.name)
                    self.state.observed.pop(str(path), None)
                    return False
                log.error("%s: refused by the server (%s)", path.name, exc)
                if exc.status in (401, 403, 404):
                    return False  # credentials or run may be fixed: try again on a later pass
                self.mark(path, sha256=sha, run=fields["label"], error=str(exc))
                return False
            job = record.get("job") or {}
            verb = "uploaded" if status == 201 else "already on the server"
            log.info(
                "%s: %s as file %s (sha256 %s) on run %s, job %s %s",
                path.name,
                verb,
                record.get("id"),
                sha[:12],
                fields["label"],
                job.get("id"),
                job.get("status"),
            )
            self.mark(
                path, sha256=sha, run=fields["label"], file=record.get("id"), job=job.get("id")
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
        """Pass over the folder until nothing is waiting (or ``deadline_s`` has passed)."""
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

    def run_forever(self) -> None:
        log.info("watching %s for %s every %.1f s", self.o.watch, self.o.pattern, self.o.interval)
        while True:
            self.scan()
            time.sleep(self.o.interval)
