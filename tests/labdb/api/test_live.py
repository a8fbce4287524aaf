"""Against a live server: the harvester end to end, and schemathesis over the published schema."""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import socketserver
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from harvester import Harvester, Options, main
from labdb import models as m
from labdb.services.tokens import token_create
from tests.labdb.api.conftest import sha
from tests.labdb.test_ingest_and_jobs import bdf_csv

pytestmark = pytest.mark.django_db(transaction=True)

RUN_REGEX = re.compile(r"^(?P<run>.+?)__")


def options(url: str, key: str, folder: Path, **kw: Any) -> Options:
    defaults: dict[str, Any] = {
        "url": url,
        "token": key,
        "watch": folder,
        "pattern": "*.csv",
        "run_regex": RUN_REGEX,
        "state_path": folder / "state.json",
        "stable_seconds": 0.6,
        "interval": 0.1,
        "backoff_base": 0.2,
        "backoff_max": 0.5,
        "max_retries": 40,
        "timeout": 10.0,
    }
    return Options(**{**defaults, **kw})


def test_a_file_written_in_pieces_is_uploaded_once_when_complete(
    live_server: Any, upload_key: str, run: m.TestRun, tmp_path: Path
) -> None:
    data = bdf_csv(cycles=2)
    path = tmp_path / f"{run.label}__ch3.csv"
    pieces = [data[i : i + len(data) // 4 + 1] for i in range(0, len(data), len(data) // 4 + 1)]
    harvester = Harvester(options(live_server.url, upload_key, tmp_path))
    result: dict[str, int] = {}
    thread = threading.Thread(target=lambda: result.update(n=harvester.run_once(20.0)))
    with path.open("wb") as fh:
        fh.write(pieces[0])
        fh.flush()
        thread.start()
        for piece in pieces[1:]:
            time.sleep(0.3)  # the instrument writes on; shorter than the stability window
            fh.write(piece)
            fh.flush()
    thread.join(30)
    assert result["n"] == 1
    files = list(m.DataFile.objects.all())
    assert len(files) == 1 and files[0].sha256 == sha(data) and files[0].size_bytes == len(data)
    assert files[0].source == "harvester" and files[0].original_name == path.name
    assert files[0].jobs.get(kind="cycling").status == "succeeded"
    # Run again (a restart of the harvester): the state file says it is done.
    main(
        [
            "--url",
            live_server.url,
            "--token",
            upload_key,
            "--watch",
            str(tmp_path),
            "--pattern",
            "*.csv",
            "--test-run-from-filename",
            RUN_REGEX.pattern,
            "--state",
            str(tmp_path / "state.json"),
            "--stable-seconds",
            "0.2",
            "--once",
        ]
    )
    assert m.DataFile.objects.count() == 1
    assert m.AnalysisJob.objects.filter(kind="cycling").count() == 1  # (and its dQ/dV)


class _Forwarder(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def _forward_to(port: int) -> type[socketserver.BaseRequestHandler]:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            upstream = socket.create_connection(("127.0.0.1", port))

            def pump(src: socket.socket, dst: socket.socket) -> None:
                try:
                    while chunk := src.recv(65536):
                        dst.sendall(chunk)
                except OSError:
                    pass
                finally:
                    with contextlib.suppress(OSError):
                        dst.shutdown(socket.SHUT_WR)

            back = threading.Thread(target=pump, args=(upstream, self.request), daemon=True)
            back.start()
            pump(self.request, upstream)
            back.join(10)
            upstream.close()

    return Handler


def test_server_down_then_up_the_file_arrives_once(
    live_server: Any, upload_key: str, run: m.TestRun, tmp_path: Path, caplog: Any
) -> None:
    caplog.set_level(logging.INFO, logger="labdb.harvester")
    with socket.socket() as probe:  # a loopback port where nothing listens yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = bdf_csv(cycles=1)
    (tmp_path / f"{run.label}__a.csv").write_bytes(data)
    harvester = Harvester(options(f"http://127.0.0.1:{port}", upload_key, tmp_path))
    result: dict[str, int] = {}
    thread = threading.Thread(target=lambda: result.update(n=harvester.run_once(30.0)))
    thread.start()
    time.sleep(2.0)  # the server is "down" for a while
    assert m.DataFile.objects.count() == 0
    live_port = int(live_server.url.rsplit(":", 1)[1])
    forwarder = _Forwarder(("127.0.0.1", port), _forward_to(live_port))
    serving = threading.Thread(target=forwarder.serve_forever, daemon=True)
    serving.start()
    try:
        thread.join(30)
    finally:
        forwarder.shutdown()
        forwarder.server_close()
    assert result["n"] == 1
    assert "server unreachable" in caplog.text
    assert m.DataFile.objects.count() == 1 and m.DataFile.objects.get().sha256 == sha(data)


def test_create_runs_from_the_file_name(
    live_server: Any, upload_key: str, demo: m.Project, tmp_path: Path
) -> None:
    data = bdf_csv(cycles=1)
    (tmp_path / "Sn-E-HC1_PS-1mA-1mAh_SN-RUN-7.csv").write_bytes(data)
    regex = re.compile(r"^(?P<cell>[^_]+)_(?P<protocol>[^_]+)_(?P<run>[^.]+)\.csv$")
    harvester = Harvester(
        options(
            live_server.url,
            upload_key,
            tmp_path,
            run_regex=regex,
            create_runs=True,
            stable_seconds=0.1,
        )
    )
    assert harvester.run_once(10.0) == 1
    created = m.TestRun.objects.get(label="SN-RUN-7")
    assert created.cell.label == "Sn-E-HC1" and created.files.count() == 1


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_server: Any, demo_user: Any, run: m.TestRun
) -> None:
    import hypothesis
    import requests
    import schemathesis
    from hypothesis import HealthCheck, Phase
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    key = token_create(user=demo_user, name="fuzz", scope="read-write").key
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/schema/")
    session = requests.Session()
    headers = {"Authorization": f"Token {key}"}
    failures: list[str] = []
    operations = 0
    # Every operation, a fixed number of derandomised examples each: a count budget, not a
    # wall-clock one (a 30 s budget covered 4-24 operations on a loaded machine and failed).
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @hypothesis.settings(
            max_examples=2,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @hypothesis.given(case=operation.as_strategy())
        def check(case: Any) -> None:
            case.call_and_validate(
                base_url=live_server.url,
                session=session,
                headers=headers,
                checks=[not_a_server_error, response_schema_conformance],
            )

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {str(exc)[:800]}")
    assert operations >= 30
    assert not failures, "\n\n".join(failures)
