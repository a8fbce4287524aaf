#!/usr/bin/env python3
"""labdb folder harvester: uploads instrument files from a lab PC to labdb.

Standard library only, so that this one file can be copied to an instrument PC and run with any
Python 3.9+::

    python harvester.py --url https://labdb.example.org --token KEY --watch D:/data \\
        --pattern '*.mpr' --test-run-from-filename '^(?P<run>[^_]+)_'

It watches a folder, waits until a file has stopped growing (size and modification time unchanged
for ``--stable-seconds``), computes its sha256 while reading it from disk, and uploads it as
multipart, streamed from disk (memory does not grow with the file) to
``/api/v1/test-runs/<run>/files/``; the server verifies the checksum. A local JSON state file
remembers what was uploaded (path, size, mtime, sha256), so a file is never sent twice, also across
restarts. While the server cannot be reached (or answers 5xx/429) it retries with exponential
backoff. Everything it does is logged.

The test-run label comes from the file name: the regex's named group ``run`` or its first group.
With ``--create-runs`` a run that does not exist yet is created from the groups ``cell`` and
``protocol`` (and ``channel`` if present) with the label from ``run``.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import http.client
import json
import logging
import os
import random
import re
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

log = logging.getLogger("labdb.harvester")

CHUNK_BYTES = 1024 * 1024
USER_AGENT = "labdb-harvester/1"


class TransportError(Exception):
    """The server could not be reached or answered 5xx/429: try again later."""


class Rejected(Exception):
    """The server refused the file (4xx): retrying the same request will not help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


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


@dataclass
class State:
    """What the harvester knows, saved as JSON after every change."""

    path: Path
    uploaded: dict[str, dict[str, Any]] = field(default_factory=dict)
    observed: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> State:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError) as exc:
            raise SystemExit(f"cannot read the state file {path}: {exc}") from exc
        return cls(path, data.get("uploaded", {}), data.get("observed", {}))

    def save(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(
            json.dumps({"uploaded": self.uploaded, "observed": self.observed}, indent=1),
            encoding="utf-8",
        )
        os.replace(tmp, self.path)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Client:
    """The few API calls the harvester makes, over http.client (no third-party packages)."""

    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SystemExit(f"--url must be http(s)://host[:port][/prefix], not {base_url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _connection(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        return cls(self.host, self.port, timeout=self.timeout)

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Token {self.token}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }

    @staticmethod
    def _answer(response: http.client.HTTPResponse) -> tuple[int, Any]:
        body = response.read()
        try:
            data = json.loads(body.decode("utf-8")) if body else None
        except ValueError:
            data = body[:500].decode("utf-8", "replace")
        status = response.status
        if status >= 500 or status == 429:
            raise TransportError(f"server answered {status}: {data}")
        return status, data

    def create_run(self, fields: dict[str, str]) -> dict[str, Any]:
        body = json.dumps(fields).encode()
        conn = self._connection()
        try:
            conn.request(
                "POST",
                f"{self.prefix}/api/v1/test-runs/",
                body=body,
                headers={**self._headers(), "Content-Type": "application/json"},
            )
            status, data = self._answer(conn.getresponse())
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            conn.close()
        if status != 201:
            raise Rejected(status, json.dumps(data))
        return data  # type: ignore[no-any-return]

    def upload(self, run: str, path: Path, sha256: str, fmt: str) -> tuple[int, dict[str, Any]]:
        """Upload ``path`` as multipart, streamed from disk; returns (status, record)."""
        boundary = uuid.uuid4().hex
        fields = {"sha256": sha256, "source": "harvester"}
        if fmt:
            fields["format"] = fmt
        pre = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        )
        name = path.name.replace('"', "_").replace("\r", "_").replace("\n", "_")
        pre += (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        post = f"\r\n--{boundary}--\r\n".encode()
        size = path.stat().st_size
        conn = self._connection()
        try:
            conn.putrequest("POST", f"{self.prefix}/api/v1/test-runs/{quote(run, safe='')}/files/")
            for k, v in self._headers().items():
                conn.putheader(k, v)
            conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
            conn.putheader("Content-Length", str(len(pre) + size + len(post)))
            conn.endheaders()
            conn.send(pre)
            sent = 0
            with path.open("rb") as fh:
                while sent < size:
                    chunk = fh.read(min(CHUNK_BYTES, size - sent))
                    if not chunk:
                        break
                    conn.send(chunk)
                    sent += len(chunk)
            if sent != size:
                raise Rejected(0, f"{path.name} shrank while it was being sent")
            conn.send(post)
            status, data = self._answer(conn.getresponse())
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            conn.close()
        if status not in (200, 201):
            message = data.get("detail", data) if isinstance(data, dict) else data
            raise Rejected(status, json.dumps(message))
        return status, data  # type: ignore[return-value]


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
                delay *= 0.8 + 0.4 * random.random()
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


def parse_args(argv: list[str] | None = None) -> tuple[Options, argparse.Namespace]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="labdb base URL, e.g. https://labdb.example.org")
    p.add_argument(
        "--token",
        default=os.environ.get("LABDB_TOKEN"),
        help="API key with upload scope (or LABDB_TOKEN)",
    )
    p.add_argument("--watch", required=True, type=Path, help="folder to watch")
    p.add_argument("--pattern", default="*", help="file name pattern, e.g. '*.mpr'")
    p.add_argument(
        "--test-run-from-filename",
        required=True,
        metavar="REGEX",
        help="regex on the file name; group 'run' (or the first) is the run label",
    )
    p.add_argument(
        "--create-runs",
        action="store_true",
        help="create missing runs from the groups 'cell' and 'protocol'",
    )
    p.add_argument(
        "--state",
        type=Path,
        default=None,
        help="state file (default: .labdb-harvester.json in the watched folder)",
    )
    p.add_argument(
        "--stable-seconds",
        type=float,
        default=10.0,
        help="a file is complete when unchanged this long",
    )
    p.add_argument("--interval", type=float, default=5.0, help="seconds between scans")
    p.add_argument("--recursive", action="store_true", help="watch sub-folders too")
    p.add_argument("--format", default="", help="reader name, if the server cannot detect it")
    p.add_argument("--backoff-base", type=float, default=1.0)
    p.add_argument("--backoff-max", type=float, default=60.0)
    p.add_argument(
        "--max-retries",
        type=int,
        default=None,
        help="per file and pass (default: unlimited; 8 with --once)",
    )
    p.add_argument("--timeout", type=float, default=120.0, help="socket timeout in seconds")
    p.add_argument(
        "--once",
        action="store_true",
        help="upload what is complete and exit (waits for growing files up to --once-wait seconds)",
    )
    p.add_argument("--once-wait", type=float, default=None)
    p.add_argument("--log-file", type=Path, default=None)
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args(argv)
    if not a.token:
        p.error("--token (or LABDB_TOKEN) is required")
    if not a.watch.is_dir():
        p.error(f"--watch {a.watch}: not a folder")
    try:
        regex = re.compile(a.test_run_from_filename)
    except re.error as exc:
        p.error(f"--test-run-from-filename: {exc}")
    options = Options(
        url=a.url,
        token=a.token,
        watch=a.watch,
        pattern=a.pattern,
        run_regex=regex,
        state_path=a.state or a.watch / ".labdb-harvester.json",
        stable_seconds=a.stable_seconds,
        interval=a.interval,
        create_runs=a.create_runs,
        recursive=a.recursive,
        format=a.format,
        backoff_base=a.backoff_base,
        backoff_max=a.backoff_max,
        max_retries=a.max_retries if a.max_retries is not None else (8 if a.once else None),
        timeout=a.timeout,
    )
    return options, a


def main(argv: list[str] | None = None) -> int:
    options, a = parse_args(argv)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if a.log_file:
        handlers.append(logging.FileHandler(a.log_file, encoding="utf-8"))
    logging.basicConfig(
        level=logging.DEBUG if a.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        handlers=handlers,
    )
    harvester = Harvester(options)
    if a.once:
        wait = a.once_wait if a.once_wait is not None else options.stable_seconds * 3 + 5
        harvester.run_once(wait)
        return 0
    try:
        harvester.run_forever()
    except KeyboardInterrupt:
        log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
