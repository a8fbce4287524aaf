"""Time to first plot of the dashboards, measured in headless chromium.

Two pages: a synthetic 1,000-cycle cell (a Battery Data Format CSV of 1,000 plating/stripping
cycles, ingested through the normal pipeline, so the plots read real stored rows and a
~120,000-row parsed table) and the comparison page over the demo study. For each page: a cold
load (fresh browser profile: Plotly's 4.6 MB script not cached) and warm loads (cached, as a
user moving between pages sees). Time to first plot = ``performance.now()`` when the first
plot has been drawn (Plotly's promise resolved: its SVG is in the page), counted from the
navigation start. Target: under 1 s.

    python bench/web.py [--data-dir DIR] [--runs 5]

The data directory keeps the demo study between runs (loading it takes one to two minutes);
the default is ``var/bench-web``.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CHROMIUM = os.environ.get("LABDB_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
CELL = "BENCH-1000"
TARGET_MS = 1000.0


def synthetic_cycling_csv(cycles: int = 1000, area_cm2: float = 0.785, seed: int = 1) -> bytes:
    """A half cell at 1 mA/cm2 and 1 mAh/cm2 for ``cycles`` cycles (BDF CSV, one row a minute):
    CE rising from 0.85 to ~0.996 with noise, a nucleation spike at each plating start and the
    stripping voltage rising to the 1 V cut-off at its end."""
    rng = np.random.default_rng(seed)
    i = 1e-3 * area_cm2
    ce = 0.996 - 0.146 * np.exp(-np.arange(cycles) / 2.0) + rng.normal(0, 4e-4, cycles)
    ce = np.clip(ce, 0.8, 0.9995)
    parts = []
    t0 = 0.0
    for n in range(cycles):
        for sign, duration in ((-1, 3600.0), (1, 3600.0 * ce[n])):
            s = np.append(np.arange(0.0, duration, 60.0), duration)
            if sign < 0:
                v = -0.018 - 0.03 * np.exp(-s / 120.0) + rng.normal(0, 5e-4, s.size)
            else:
                v = 0.018 + 0.9 * (s / duration) ** 40 + rng.normal(0, 5e-4, s.size)
            q = i * s / 3600.0
            charge = q if sign > 0 else np.zeros_like(q)
            discharge = q if sign < 0 else np.zeros_like(q)
            parts.append(np.column_stack([t0 + s, v, np.full(s.size, sign * i), charge, discharge]))
            t0 += duration + 60.0
    data = np.vstack(parts)
    header = (
        "test_time_second,voltage_volt,current_ampere,charging_capacity_ah,discharging_capacity_ah"
    )
    lines = [header] + [f"{r[0]:.1f},{r[1]:.5f},{r[2]:.6e},{r[3]:.9e},{r[4]:.9e}" for r in data]
    return ("\n".join(lines) + "\n").encode()


def prepare(data_dir: Path) -> None:
    """Migrate, load the demo study if missing, and ingest the 1,000-cycle cell if missing."""
    import django

    os.environ["LABDB_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labdb.settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from labdb import models as m
    from labdb.demo import demo_load
    from labdb.demo.files import demo_data_load
    from labdb.services.catalog import record_save
    from labdb.services.ingest import data_file_register

    call_command("migrate", verbosity=0)
    project = demo_load()
    user = get_user_model().objects.get(username="demo")
    if not m.AnalysisResult.objects.filter(test_run__project=project).exists():
        t = time.perf_counter()
        print("loading the demo study (once per data directory)...", flush=True)
        demo_data_load(project=project, user=user)
        print(f"  {time.perf_counter() - t:.0f} s", flush=True)
    if not m.Cell.objects.filter(label=CELL).exists():
        template = m.Cell.objects.get(label="MgAgSn-E-HC1")
        template.pk = None
        template.label = CELL
        template.notes = "benchmark: synthetic 1,000-cycle plating/stripping record"
        template._state.adding = True
        cell = record_save(record=template, user=user)
        run = record_save(
            record=m.TestRun(
                project=project,
                label=f"{CELL}-PS",
                cell=cell,
                protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
            ),
            user=user,
        )
        t = time.perf_counter()
        print("ingesting the synthetic 1,000-cycle file...", flush=True)
        registered = data_file_register(
            test_run=run,
            chunks=[synthetic_cycling_csv()],
            original_name="bench-1000.csv",
            user=user,
            source="cli",
        )
        job = registered.job
        assert job is not None
        job.refresh_from_db()
        assert job.status == "succeeded", job.error
        print(f"  {job.result.cycle_count} cycles in {time.perf_counter() - t:.0f} s", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LABDB_DATA_DIR": str(data_dir)}
    # gunicorn as in production (docker/): two workers of four threads
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "labdb.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--threads",
            "4",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("the server did not start")


def first_plot_ms(page: Any, url: str) -> dict[str, float]:
    page.goto(url)
    page.wait_for_function("() => window.labdbFirstPlotAt !== undefined", timeout=60_000)
    nav = page.evaluate(
        "(() => { const n = performance.getEntriesByType('navigation')[0];"
        " return {html: n.responseEnd, dcl: n.domContentLoadedEventEnd,"
        " plot: window.labdbFirstPlotAt}; })()"
    )
    # let the other plots finish before the next load, so that loads do not overlap
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('[data-plot-url]'))"
        ".every(e => e.dataset.rendered)",
        timeout=120_000,
    )
    return {k: float(v) for k, v in nav.items()}


def measure(base: str, runs: int) -> dict[str, dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    pages = {
        "1,000-cycle cell page": f"{base}/cells/{CELL}/",
        "comparison page (demo study)": f"{base}/compare/",
    }
    out: dict[str, dict[str, Any]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, url in pages.items():
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(f"{base}/accounts/login/")
            page.fill("#id_username", "demo")
            page.fill("#id_password", "demo")
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")
            cold = first_plot_ms(page, url)
            warm = [first_plot_ms(page, url) for _ in range(runs)]
            out[name] = {"cold": cold, "warm": warm}
            context.close()
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / "var" / "bench-web")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    prepare(args.data_dir.resolve())
    port = free_port()
    server = serve(args.data_dir.resolve(), port)
    try:
        results = measure(f"http://127.0.0.1:{port}", args.runs)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"\ntime to first plot, headless chromium (target < {TARGET_MS:.0f} ms)")
    print(
        f"{'page':32} {'cold':>8} {'warm median':>12} {'warm max':>9}  html / DOMContentLoaded (warm)"
    )
    ok = True
    for name, r in results.items():
        warm = [w["plot"] for w in r["warm"]]
        med = statistics.median(warm)
        html = statistics.median(w["html"] for w in r["warm"])
        dcl = statistics.median(w["dcl"] for w in r["warm"])
        print(
            f"{name:32} {r['cold']['plot']:7.0f}ms {med:10.0f}ms {max(warm):7.0f}ms"
            f"  {html:.0f} / {dcl:.0f} ms"
        )
        ok = ok and med < TARGET_MS
    print("all under target (warm median)" if ok else "OVER TARGET")


if __name__ == "__main__":
    main()
