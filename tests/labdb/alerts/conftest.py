"""Fixtures of the alert tests: the demo study's half-cell run (tests.labdb.test_ingest_and_jobs),
files of known content, and real local receivers: an SMTP server (aiosmtpd) and an HTTP
server thread that refuses its first attempts."""

from __future__ import annotations

import functools
import http.server
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from labdb import models as m
from labdb.services.alerts import alert_rule_save, alert_settings_for, alert_settings_save
from labdb.services.ingest import data_file_register
from tests.labdb.test_ingest_and_jobs import run  # noqa: F401 (fixture)

AREA_CM2 = 0.785


def half_cell_csv(
    ces: Sequence[float], temperature: Callable[[int, float], float] | None = None
) -> bytes:
    """A half-cell record in BDF CSV: per cycle, plating then stripping at 1 mA/cm2 for 1 h,
    the stripping giving ``ces[k]`` of the plated charge, with per-step charge counters (so
    every capacity and CE is exact); ``temperature(cycle, time_s)`` adds a probe column."""
    i = 1e-3 * AREA_CM2
    rows = []
    t = 0.0
    for k, ce in enumerate(ces, start=1):
        for sign, duration in ((-1, 3600.0), (1, 3600.0 * ce)):
            for s in np.append(np.arange(0.0, duration, 60.0), duration):
                v = -0.02 if sign < 0 else 0.02
                q = i * s / 3600.0
                charge, discharge = (q, 0.0) if sign > 0 else (0.0, q)
                row = f"{t + s:.1f},{v:.4f},{sign * i:.6e},{charge:.9e},{discharge:.9e}"
                if temperature is not None:
                    row += f",{temperature(k, t + s):.2f}"
                rows.append(row)
            t += duration + 60.0
    header = (
        "test_time_second,voltage_volt,current_ampere,charging_capacity_ah,discharging_capacity_ah"
    )
    if temperature is not None:
        header += ",temperature_t1_celsius"
    return (header + "\n" + "\n".join(rows) + "\n").encode()


@functools.lru_cache(maxsize=4)
def shorted_cell_csv(cycles: int = 18, onset: int = 10, seed: int = 3) -> bytes:
    """A half cell of the simulator with a hard short from cycle ``onset`` (its canonical table
    as CSV)."""
    from analysis.simulate.cells import generate_cell
    from analysis.simulate.cells.spec import CellSpec

    cell = generate_cell(CellSpec("half", cycles, short_kind="hard", short_onset=onset), seed)
    return cell.table.to_csv(index=False).encode()


def upload(test_run: m.TestRun, data: bytes, name: str = "cell.csv", **kw: Any) -> m.AnalysisJob:
    registered = data_file_register(
        test_run=test_run, chunks=[data], original_name=name, user=None, source="cli", **kw
    )
    job = registered.job
    assert job is not None
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    return job


def rule(project: m.Project, kind: str, **kw: Any) -> m.AlertRule:
    return alert_rule_save(rule=m.AlertRule(project=project, kind=kind, **kw), user=None)


@pytest.fixture
def blobs(settings: Any, tmp_path: Path) -> Path:
    settings.BLOB_DIR = tmp_path / "blobs"
    return settings.BLOB_DIR


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers 503 to its first ``fail_first`` POSTs."""

    def __init__(self, fail_first: int) -> None:
        self.fail_first = fail_first
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = 503 if len(receiver.requests) < receiver.fail_first else 204
                receiver.requests.append((dict(self.headers), body, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(fail_first=2)
    yield r
    r.close()


def webhook_to(project: m.Project, url: str) -> m.ProjectAlertSettings:
    conf = alert_settings_for(project)
    conf.webhook_url = url
    return alert_settings_save(conf=conf, user=None)
