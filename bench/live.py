"""Live tests benchmark: ``python bench/live.py [--quick]``.

A simulated cycler appends rows to many files at once (default: 1,000 rows/s spread over 50
files, the issue's figure; ``--quick``: 150 rows/s over 6 files for 45 s), and an uploader
sends each grown file through the API every ``--upload-every`` seconds, as a new file of the
same test run (the harvester's watch mode does the same; when the app learns to treat a file
that extends an earlier upload as a new version with an incremental analysis, this script needs
no change: it always sends the whole file as it is on disk).

Some cells have a short circuit (the simulator's hard short, :mod:`analysis.simulate.cells`).
For each, the smallest prefix of its file whose analysis reports the short is found beforehand
with the same pipeline (``analysis.pipelines``): the moment the cycler writes the last row of
that prefix is when "the data that show the short" exist. The project has a short-circuit
rule with a webhook to a receiver in this process, so the alert's arrival is timed where a
user's system would see it. Printed: per shorted cell, seconds from the data that show the
short to the alert row (``created_at``) and to the webhook's arrival (target < 60 s, reported,
not the exit status: it depends on the machine's load); healthy cells alerted (0 expected;
the exit status is 1 when one is, or when a short whose upload was analysed got no alert); the CPU seconds of the web server (gunicorn and its workers) and of
the Celery worker (main process and pool) per appended row, and the workers' job time per
appended row, against the peer measured in the same run: the same pipeline analysing each
final file once (the cost of a one-shot analysis per row; the ratio is the price of
re-analysing growing files).

Real components, on a stack of the script's own (tests/chaos/services.py): PostgreSQL, Redis,
gunicorn (2 workers), a Celery worker (2 pool processes), 127.0.0.1 only, stopped by pid.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import http.server
import json
import os
import statistics
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.chaos.services import children, missing_tools, stack

SETUP = r"""
import os, uuid
from labdb import models as m
from labdb.services.alerts import alert_rule_save, alert_settings_for, alert_settings_save
template = m.Cell.objects.get(label="MgAgSn-E-HC1")
protocol = m.TestProtocol.objects.get(label="PS-1mA-1mAh")
n, hook = int(os.environ["LIVE_FILES"]), os.environ["LIVE_HOOK"]
for i in range(n):
    cell = m.Cell.objects.get(pk=template.pk)
    cell.id = uuid.uuid4()
    cell._state.adding = True
    cell.label = f"LIVE-{i:03d}"
    cell.status = "assembled"
    cell.save()
    m.TestRun.objects.create(project=cell.project, label=f"LIVE-{i:03d}-PS", cell=cell,
                             protocol=protocol)
alert_rule_save(rule=m.AlertRule(project=template.project, kind="short_circuit", email=False),
                user=None)
conf = alert_settings_for(template.project)
conf.webhook_url = hook
alert_settings_save(conf=conf, user=None)
print(conf.webhook_secret)
"""

REPORT = r"""
import json
from django.db.models import Count
from labdb import models as m
jobs = m.AnalysisJob.objects.filter(data_file__test_run__label__startswith="LIVE-")
done = jobs.filter(status="succeeded")
# by kind: each succeeded cycling job is followed by a dQ/dV job on the same file
seconds, stages = {}, {}
for j in done:
    if j.started_at:
        seconds[j.kind] = seconds.get(j.kind, 0.0) + (j.finished_at - j.started_at).total_seconds()
    for name, value in (j.timings or {}).items():
        if name.endswith("_s"):
            mine = stages.setdefault(j.kind, {})
            mine[name] = mine.get(name, 0.0) + float(value)
alerts = [
    {"run": a.test_run.label, "created_at": a.created_at.timestamp(), "cycle": a.cycle,
     "file": a.evidence.get("data_file_name")}
    for a in m.Alert.objects.select_related("test_run")
]
by_status = dict(jobs.values_list("status").annotate(n=Count("pk")))  # every kind: drained?
by_kind = dict(jobs.values_list("kind").annotate(n=Count("pk")))
print(json.dumps({"job_seconds": seconds, "job_stages": stages, "jobs": by_status, "kinds": by_kind, "alerts": alerts}))
"""


@dataclass
class CellFile:
    index: int
    run: str
    path: Path
    lines: list[bytes]  # header first
    shorted: bool
    shows_short_at_row: int | None = None  # rows (after the header) that first show the short
    written: int = 0  # data rows on disk
    written_at: list[float] = field(default_factory=list)  # wall time of each row written
    uploads: int = 0


def generate(n_files: int, n_shorts: int, rows_per_file: int, base: Path) -> list[CellFile]:
    """Half cells of the simulator, long enough for the run; shorted ones short a third to
    half of the way in."""
    from analysis.simulate.cells import generate_cell
    from analysis.simulate.cells.spec import CellSpec, Realism

    realism = Realism(noise_V=0.0005, record_dt_s=60.0)
    rows_per_cycle = 230
    cycles = max(4, rows_per_file // rows_per_cycle + 2)
    files = []
    for i in range(n_files):
        shorted = i < n_shorts
        onset = max(3, int(cycles * (0.3 + 0.2 * i / max(n_shorts, 1)))) if shorted else None
        spec = CellSpec(
            "half",
            cycles,
            short_kind="hard" if shorted else None,
            short_onset=onset,
            cycles_after_short=cycles,
            realism=realism,
        )
        table = generate_cell(spec, seed=1000 + i).table
        text = table.to_csv(index=False, float_format="%.6g").encode()
        lines = text.splitlines(keepends=True)
        files.append(CellFile(i, f"LIVE-{i:03d}-PS", base / f"cell-{i:03d}.csv", lines, shorted))
    return files


def first_rows_showing_short(f: CellFile) -> int | None:
    """The fewest data rows whose analysis reports a short (bisection; the same pipeline as
    the worker's), or None when the whole file shows none."""
    import io

    import pandas as pd

    from analysis import pipelines

    pipeline = pipelines.get("cycling")
    params = pipeline.validate({"cell_type": "half", "area_cm2": 0.785})
    table = pd.read_csv(io.BytesIO(b"".join(f.lines)))

    def shows(rows: int) -> bool:
        out = pipeline.run(table.iloc[:rows], params).to_json()
        return out["summary"]["metrics"]["short_circuit_cycle"] is not None

    lo, hi = 50, len(table)
    if not shows(hi):
        return None
    while hi - lo > 5:
        mid = (lo + hi) // 2
        if shows(mid):
            hi = mid
        else:
            lo = mid
    return hi


class Hooks:
    """The webhook receiver: arrival time and payload of every POST."""

    def __init__(self) -> None:
        self.received: list[tuple[float, dict[str, Any]]] = []
        hooks = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hooks.received.append((time.time(), json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/labdb-alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def upload(host: str, port: int, key: str, run: str, name: str, data: bytes) -> int:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="sha256"\r\n\r\n'
            f"{hashlib.sha256(data).hexdigest()}\r\n--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    conn = http.client.HTTPConnection(host, port, timeout=120)
    conn.request(
        "POST",
        f"/api/v1/test-runs/{run}/files/",
        body=body,
        headers={
            "Authorization": f"Token {key}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def descendants(pid: int) -> list[int]:
    """``pid``'s children, theirs, and so on (a worker's pool processes and the analysis
    processes each keeps for several jobs, labdb.services.execution)."""
    found, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        found += kids
        todo += kids
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the processes, their live descendants and the children they
    waited for (``/proc/<pid>/stat``)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        for p in [pid, *descendants(pid)]:
            try:
                fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(x) for x in fields[11:15]) / tick
    return total


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--files", type=int, default=50)
    p.add_argument("--rows-per-s", type=float, default=1000.0, help="over all files")
    p.add_argument("--seconds", type=float, default=180.0, help="how long the cycler writes")
    p.add_argument("--upload-every", type=float, default=20.0, help="per file, s")
    p.add_argument("--shorts", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="6 files, 150 rows/s, 45 s, 2 shorts")
    a = p.parse_args()
    if a.quick:
        a.files, a.rows_per_s, a.seconds, a.upload_every, a.shorts = 6, 150.0, 45.0, 5.0, 2
    why = missing_tools()
    if why:
        print(f"skipped: {why}")
        return 0
    tick_s = 0.25
    per_file_tick = a.rows_per_s / a.files * tick_s
    rows_per_file = int(a.rows_per_s / a.files * a.seconds)
    hooks = Hooks()
    with stack(
        LABDB_ALERT_RETRY_BASE_S="2",
        LABDB_SITE_URL="http://127.0.0.1",
        LABDB_DEMO="1",
    ) as s:
        files = generate(a.files, a.shorts, rows_per_file, s.base)
        for f in files:
            if f.shorted:
                f.shows_short_at_row = first_rows_showing_short(f)
        s.manage("demo", "--catalog-only")
        secret = s.manage(
            "shell", "-c", SETUP, LIVE_FILES=str(a.files), LIVE_HOOK=hooks.url
        ).split()[-1]
        assert len(secret) == 64
        key = s.manage("create_token", "--user", "demo", "--scope", "read-write").split()[-1]
        url = s.web(workers=2)
        worker = s.worker("live", concurrency=2)
        host, port = url.removeprefix("http://").split(":")
        time.sleep(5)  # the worker's pool is up
        web_pids = [pr.pid for pr in s.procs if pr is not worker]
        cpu0 = (cpu_seconds(web_pids), cpu_seconds([worker.pid]))
        stop = threading.Event()
        lock = threading.Lock()
        statuses: dict[int, int] = {}

        def cycler() -> None:
            carry = 0.0
            handles = {f.index: f.path.open("wb") for f in files}
            for f in files:
                handles[f.index].write(f.lines[0])
                handles[f.index].flush()
            t_end = time.time() + a.seconds
            while time.time() < t_end:
                carry += per_file_tick
                n = int(carry)
                carry -= n
                now = time.time()
                for f in files:
                    chunk = f.lines[1 + f.written : 1 + f.written + n]
                    if chunk:
                        handles[f.index].write(b"".join(chunk))
                        handles[f.index].flush()
                        with lock:
                            f.written += len(chunk)
                            f.written_at.extend([now] * len(chunk))
                time.sleep(max(0.0, tick_s - (time.time() - now)))
            for h in handles.values():
                h.close()

        def uploader(batch: list[CellFile], offset: float) -> None:
            time.sleep(offset)
            while not stop.is_set():
                t0 = time.time()
                for f in batch:
                    with lock:
                        rows = f.written
                    if rows == 0:
                        continue
                    data = b"".join(f.lines[: 1 + rows])
                    f.uploads += 1
                    code = upload(host, int(port), key, f.run, f"{f.run}.csv", data)
                    statuses[code] = statuses.get(code, 0) + 1
                stop.wait(max(0.0, a.upload_every - (time.time() - t0)))

        writer = threading.Thread(target=cycler)
        groups = 4
        uploaders = [
            threading.Thread(target=uploader, args=(files[g::groups], a.upload_every * g / groups))
            for g in range(groups)
        ]
        t_start = time.time()
        writer.start()
        for u in uploaders:
            u.start()
        writer.join()
        time.sleep(a.upload_every)  # one last upload of every file
        stop.set()
        for u in uploaders:
            u.join()
        # wait for the queue to drain (bounded)
        deadline = time.time() + max(120.0, a.seconds)
        while time.time() < deadline:
            report = json.loads(s.manage("shell", "-c", REPORT).strip().splitlines()[-1])
            if not report["jobs"].get("queued") and not report["jobs"].get("running"):
                break
            time.sleep(3)
        t_drained = time.time()
        cpu1 = (cpu_seconds(web_pids), cpu_seconds([worker.pid]))
        time.sleep(2)  # the deliveries of the last alerts
        report = json.loads(s.manage("shell", "-c", REPORT).strip().splitlines()[-1])

    appended = sum(f.written for f in files)
    web_cpu, worker_cpu = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
    print(
        f"\n{a.files} files, {appended} rows appended in {a.seconds:.0f} s "
        f"({appended / a.seconds:.0f} rows/s), uploads every {a.upload_every:.0f} s per file: "
        f"{sum(f.uploads for f in files)} uploads, HTTP {statuses}; jobs {report['jobs']}; "
        f"queue drained {t_drained - t_start - a.seconds:.0f} s after the cycler stopped"
    )
    hook_at: dict[str, float] = {}
    for at, payload in hooks.received:
        hook_at.setdefault(payload["test_run"]["label"], at)
    alert_at = {al["run"]: al["created_at"] for al in report["alerts"]}
    latencies_hook, latencies_row = [], []
    print(f"{'cell':<14} {'shows at row':>12} {'alert row s':>11} {'webhook s':>10}  file")
    for f in files:
        if not f.shorted:
            continue
        shown = f.shows_short_at_row
        t_show = f.written_at[shown - 1] if shown and shown <= f.written else None
        row_s = alert_at[f.run] - t_show if t_show and f.run in alert_at else None
        hook_s = hook_at[f.run] - t_show if t_show and f.run in hook_at else None
        if row_s is not None:
            latencies_row.append(row_s)
        if hook_s is not None:
            latencies_hook.append(hook_s)
        fmt = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
        print(f"{f.run:<14} {shown or '-':>12} {fmt(row_s):>11} {fmt(hook_s):>10}")
    healthy_alerted = sorted(r for r in alert_at if not files[int(r[5:8])].shorted)
    shorts_written = [f for f in files if f.shorted and f.shows_short_at_row
                      and f.shows_short_at_row <= f.written]  # fmt: skip
    missed = [f.run for f in shorts_written if f.run not in hook_at]
    worst = max(latencies_hook) if latencies_hook else float("nan")
    print(
        f"shorts whose data were written: {len(shorts_written)}; alerted by webhook: "
        f"{len(latencies_hook)} (missed: {missed or 'none'}); data -> webhook median "
        f"{statistics.median(latencies_hook) if latencies_hook else float('nan'):.1f} s, "
        f"worst {worst:.1f} s (target < 60 s: {'OK' if latencies_hook and worst < 60 else 'NOT MET'})"
    )
    print(f"healthy cells alerted: {len(healthy_alerted)} {healthy_alerted or ''}")

    # the peer: each final file analysed once by the same pipeline
    import io

    import pandas as pd

    from analysis import pipelines

    pipeline = pipelines.get("cycling")
    params = pipeline.validate({"cell_type": "half", "area_cm2": 0.785})
    t0 = time.process_time()
    for f in files:
        pipeline.run(pd.read_csv(io.BytesIO(b"".join(f.lines[: 1 + f.written]))), params)
    once = time.process_time() - t0
    per_row = lambda v: 1e6 * v / max(appended, 1)  # noqa: E731
    cycling_s = report["job_seconds"].get("cycling", 0.0)
    dqdv_s = report["job_seconds"].get("dqdv", 0.0)
    print(
        f"per appended row: web server CPU {per_row(web_cpu):.1f} us, Celery worker CPU "
        f"{per_row(worker_cpu):.1f} us (all kinds), cycling job time "
        f"{per_row(cycling_s):.1f} us, dQ/dV follow-on job time {per_row(dqdv_s):.1f} us; "
        f"one cycling analysis of each final file (peer, this process): {per_row(once):.1f} us "
        f"-> live worker CPU (cycling and dQ/dV jobs) / one-shot cycling = "
        f"{worker_cpu / once if once else float('nan'):.1f}x; jobs by kind {report['kinds']}"
    )
    for kind, parts in sorted(report.get("job_stages", {}).items()):
        print(
            f"{kind} jobs, per appended row: "
            + ", ".join(f"{k} {per_row(v):.1f} us" for k, v in sorted(parts.items()))
        )
    # The exit status is about correctness only (timings depend on the machine's load):
    # no healthy cell alerted, and every short alerted once its upload was analysed.
    drained = not report["jobs"].get("queued") and not report["jobs"].get("running")
    ok = not healthy_alerted and (not missed or not drained)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
