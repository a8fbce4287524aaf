"""Against a live server: the harvester follows a file a (simulated) cycler writes in pieces,
across a restart of the harvester, and copes with a file that is rotated or replaced."""

from __future__ import annotations

import itertools
import json
import logging
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from analysis.serial import differences
from harvester import Harvester, main
from labdb import models as m
from labdb.storage import blob_path
from tests.labdb.api.conftest import sha
from tests.labdb.api.test_growing import cycler_file, full_analysis, stored_output
from tests.labdb.api.test_live import RUN_REGEX, _forward_to, _Forwarder, options

pytestmark = pytest.mark.django_db(transaction=True)


def _uploaded(state: Path, name: str) -> dict[str, Any]:
    try:
        data = json.loads(state.read_text())
    except (OSError, ValueError):
        return {}
    return next((v for k, v in data["uploaded"].items() if k.endswith(name)), {})


def _wait_for(state: Path, name: str, size: int, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if _uploaded(state, name).get("size") == size:
            return
        time.sleep(0.1)
    raise AssertionError(
        f"{name}: {size} bytes not uploaded in {timeout} s: {_uploaded(state, name)}"
    )


class Running:
    """A harvester watching in a thread until stopped (as the service runs it)."""

    def __init__(self, harvester: Harvester) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=harvester.run_forever, args=(self.stop,))
        self.thread.start()

    def halt(self) -> None:
        self.stop.set()
        self.thread.join(30)


def test_a_growing_cycler_file_arrives_as_versions_across_a_restart(
    live_server: Any, upload_key: str, run: m.TestRun, tmp_path: Path, caplog: Any
) -> None:
    caplog.set_level(logging.INFO, logger="labdb.harvester")
    data = cycler_file(cycles=12)
    path = tmp_path / f"{run.label}__ch3.csv"
    state = tmp_path / "state.json"
    step = len(data) // 6 + 101  # pieces end mid-line, as a cycler's buffered writes do
    pieces = [data[i : i + step] for i in range(0, len(data), step)]
    follow = {"follow_seconds": 0.3, "stable_seconds": 3.0}
    running = Running(Harvester(options(live_server.url, upload_key, tmp_path, **follow)))
    with path.open("wb") as fh:
        for i, piece in enumerate(pieces):
            fh.write(piece)
            fh.flush()
            time.sleep(1.0)  # the cycler writes on; shorter than the stability window
            if i == 2:  # the PC restarts the harvester: it resumes from its state file
                running.halt()
                running = Running(
                    Harvester(options(live_server.url, upload_key, tmp_path, **follow))
                )
    try:
        _wait_for(state, path.name, len(data))
    finally:
        running.halt()
    files = list(m.DataFile.objects.order_by("version"))
    assert len(files) >= 3 and files[-1].sha256 == sha(data) and files[-1].size_bytes == len(data)
    assert [f.version for f in files] == list(range(1, len(files) + 1))
    for earlier, later in itertools.pairwise(files):
        assert later.extends_id == earlier.pk and later.size_bytes > earlier.size_bytes
        # each version is a line-complete prefix of the file the cycler wrote
        assert data.startswith(blob_path(earlier.sha256).read_bytes())
        assert blob_path(earlier.sha256).read_bytes().endswith(b"\n")
    assert "appended" in caplog.text  # later versions sent only their new bytes
    final = files[-1].jobs.get(kind="cycling")
    assert final.status == "succeeded", final.error
    assert m.ParsedTable.objects.get(data_file=files[-1]).metadata["grown_from_rows"] > 0
    assert differences(stored_output(final), full_analysis(data, final)) == []


def test_rotated_and_replaced_files_are_new_files_not_versions(
    live_server: Any, upload_key: str, run: m.TestRun, tmp_path: Path
) -> None:
    first, second = cycler_file(cycles=3, seed=1), cycler_file(cycles=3, seed=2)
    path = tmp_path / f"{run.label}__a.csv"
    path.write_bytes(first)
    harvester = Harvester(options(live_server.url, upload_key, tmp_path, stable_seconds=0.2))
    assert harvester.run_once(20.0) == 1
    # rotation: the cycler renames its file and starts a new one under the old name
    path.rename(tmp_path / f"{run.label}__a-1.csv")
    path.write_bytes(second[:5000])
    assert harvester.run_once(20.0) == 2  # the renamed copy is known content: not sent again
    assert m.DataFile.objects.count() == 2
    # truncated and rewritten in place: not a continuation of what was sent
    path.write_bytes(second[:3000] + b"# operator note\n")
    main(
        [
            *("--url", live_server.url, "--token", upload_key, "--watch", str(tmp_path)),
            *("--pattern", "*.csv", "--test-run-from-filename", RUN_REGEX.pattern),
            *("--state", str(tmp_path / "state.json"), "--stable-seconds", "0.2", "--once"),
        ]
    )
    files = list(m.DataFile.objects.order_by("uploaded_at"))
    assert [f.sha256 for f in files] == [
        sha(first),
        sha(second[:5000]),
        sha(second[:3000] + b"# operator note\n"),
    ]
    assert all(f.extends_id is None and f.version == 1 for f in files)


def test_following_survives_the_server_going_away_while_the_file_grows(
    live_server: Any, upload_key: str, run: m.TestRun, tmp_path: Path, caplog: Any
) -> None:
    caplog.set_level(logging.INFO, logger="labdb.harvester")
    with socket.socket() as probe:  # the harvester talks to the server through this port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    live_port = int(live_server.url.rsplit(":", 1)[1])

    def serve() -> tuple[Any, threading.Thread]:
        forwarder = _Forwarder(("127.0.0.1", port), _forward_to(live_port))
        thread = threading.Thread(target=forwarder.serve_forever, daemon=True)
        thread.start()
        return forwarder, thread

    data = cycler_file(cycles=6, seed=5)
    half = data.index(b"\n", len(data) // 2) + 1
    path = tmp_path / f"{run.label}__ch4.csv"
    state = tmp_path / "state.json"
    path.write_bytes(data[:half])
    forwarder, _ = serve()
    harvester = Harvester(
        options(f"http://127.0.0.1:{port}", upload_key, tmp_path, follow_seconds=0.3)
    )
    running = Running(harvester)
    try:
        _wait_for(state, path.name, half)
        forwarder.shutdown()  # the server goes away; the cycler writes on
        forwarder.server_close()
        with path.open("ab") as fh:
            fh.write(data[half:])
        time.sleep(2.0)
        assert m.DataFile.objects.count() == 1
        forwarder, _ = serve()  # back
        _wait_for(state, path.name, len(data))
    finally:
        running.halt()
        forwarder.shutdown()
        forwarder.server_close()
    assert "server unreachable" in caplog.text
    first, second = m.DataFile.objects.order_by("version")
    assert (first.size_bytes, second.size_bytes) == (half, len(data))
    assert second.extends_id == first.pk and second.sha256 == sha(data)
