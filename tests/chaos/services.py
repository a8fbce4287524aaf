"""The chaos suite's own servers: a PostgreSQL and a Redis on free ports of 127.0.0.1, a web
server (gunicorn), Celery workers and beat, each started as a process of its own and stopped by
its pid (never the shared servers). Used by ``tests/chaos`` and ``bench/chaos.py``."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), Path("/nonexistent"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def missing_tools() -> str | None:
    """Why the chaos servers cannot run here, or None."""
    if not (PG_BIN / "pg_ctl").exists():
        return "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin"
    if shutil.which("redis-server") is None:
        return "redis-server not found"
    return None


def wait_until(check: Any, timeout_s: float, what: str, every_s: float = 0.1) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(Exception):
            if check():
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout_s} s")
        time.sleep(every_s)


class Postgres:
    """A throw-away PostgreSQL cluster (initdb in a temporary folder, trust on 127.0.0.1)."""

    def __init__(self, base: Path) -> None:
        self.dir = base / "pg"
        self.port = free_port()
        self.dir.mkdir(parents=True)
        self._as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        if self._as_postgres:
            shutil.chown(base, "postgres")
            shutil.chown(self.dir, "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.dir), "-U", "postgres", "-A", "trust")
        with (self.dir / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.dir}'\nfsync = off\n"
                "synchronous_commit = off\nmax_connections = 60\n"
            )

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/labdb"

    def _run(self, *cmd: str) -> None:
        full = ["runuser", "-u", "postgres", "--", *cmd] if self._as_postgres else list(cmd)
        subprocess.run(full, check=True, capture_output=True, cwd="/")

    def ctl(self, *args: str) -> None:
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-w", "-l", str(self.dir / "log"), *args
        )

    def start(self) -> None:
        self.ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self.ctl("stop", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        self.ctl("restart", "-m", mode)

    def pid(self) -> int:
        return int((self.dir / "postmaster.pid").read_text().split()[0])

    def create_database(self, name: str = "labdb") -> None:
        self._run(
            str(PG_BIN / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            name,
        )

    def ready(self) -> bool:
        return (
            subprocess.run(
                [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
                check=False,
            ).returncode
            == 0
        )


class Redis:
    """A Redis server of its own (no persistence), stopped and frozen by pid."""

    def __init__(self, base: Path) -> None:
        self.port = free_port()
        self.dir = base / "redis"
        self.dir.mkdir(parents=True)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.ping, 10, "redis start")

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def freeze(self, on: bool = True) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP if on else signal.SIGCONT)


class Stack:
    """PostgreSQL + Redis + a data folder, the web server and workers on them."""

    def __init__(self, base: Path, **env: str) -> None:
        self.base = base
        self.pg = Postgres(base)
        self.redis = Redis(base)
        self.data = base / "data"
        self.data.mkdir()
        self.procs: list[subprocess.Popen[bytes]] = []
        self.extra_env = env
        self.blob_disk: Path | None = None

    def mount_blob_disk(self, size_mb: int) -> bool:
        """The blob store on a tmpfs of its own (needs root): False when it cannot be mounted."""
        path = self.data / "blobs"
        path.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)],
            capture_output=True,
            check=False,
        )
        if done.returncode == 0:
            self.blob_disk = path
        return self.blob_disk is not None

    def remount_blob_disk(self, mode: str) -> None:
        assert self.blob_disk is not None
        subprocess.run(["mount", "-o", f"remount,{mode}", str(self.blob_disk)], check=True)

    def env(self, **more: str) -> dict[str, str]:
        return (
            os.environ
            | {
                "DATABASE_URL": self.pg.url,
                "CELERY_BROKER_URL": self.redis.url,
                "LABDB_DATA_DIR": str(self.data),
                "DJANGO_DEBUG": "1",
                "PYTHONUNBUFFERED": "1",
                "LABDB_LOG_LEVEL": "WARNING",
            }
            | self.extra_env
            | more
        )

    def manage(self, *args: str, **env: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(**env),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def start(self) -> None:
        self.pg.start()
        self.pg.create_database()
        self.redis.start()
        self.manage("migrate", "--noinput", "-v0")

    def spawn(self, cmd: list[str], name: str, **env: str) -> subprocess.Popen[bytes]:
        log = (self.base / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=self.env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def web(self, workers: int = 2) -> str:
        port = free_port()
        self.spawn(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "labdb.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(workers),
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
            ],
            "web",
        )
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: status(url + "/accounts/login/") == 200, 60, "web start", 0.3)
        return url

    def worker(self, name: str, concurrency: int = 2, **env: str) -> subprocess.Popen[bytes]:
        proc = self.spawn(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "labdb",
                "worker",
                "--loglevel=WARNING",
                f"--concurrency={concurrency}",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"{name}@%h",
            ],
            name,
            **env,
        )
        return proc

    def beat(self) -> subprocess.Popen[bytes]:
        return self.spawn(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "labdb",
                "beat",
                "--loglevel=WARNING",
                "-s",
                str(self.base / "beat-schedule"),
            ],
            "beat",
        )

    def stop_process(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def close(self) -> None:
        for proc in reversed(self.procs):
            self.stop_process(proc)
        self.redis.stop()
        with contextlib.suppress(Exception):
            self.pg.stop("immediate")
        if self.blob_disk is not None:
            subprocess.run(["umount", "-l", str(self.blob_disk)], check=False)


def children(pid: int) -> list[int]:
    """The pids of ``pid``'s child processes (a Celery worker's pool)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def status(url: str, timeout: float = 10) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@contextlib.contextmanager
def stack(blob_disk_mb: int = 0, **env: str) -> Iterator[Stack]:
    base = Path(tempfile.mkdtemp(prefix="labdb-chaos-"))
    s = Stack(base, **env)
    try:
        if blob_disk_mb:
            s.mount_blob_disk(blob_disk_mb)
        s.start()
        yield s
    finally:
        s.close()
        shutil.rmtree(base, ignore_errors=True)
