"""Long chaos scenarios with their figures: ``python bench/chaos.py [--scale N] [--full]``.

``--full``: the issue's sizes (1,000 jobs under kill -9; 990 good + 10 poison; 200 uploads
through a 60 s Redis outage; 500 analyses + 100 uploads across PostgreSQL restarts; 20 x 150 MB
uploads, every other one cut mid-way and sent again); hours on a shared 2-core machine.
``--only NAME`` (repeatable) runs the named scenarios only.

The same scenarios as ``tests/chaos`` (:mod:`tests.chaos.scenarios`), larger, on a stack of
the script's own (PostgreSQL, Redis, gunicorn with 2 workers, Celery workers with 2 pool
processes, 127.0.0.1 only, everything stopped by pid at the end), with beat's real one-minute
sweep replaced by a 3 s sweep so that a run takes minutes, not hours. Printed per scenario:

- kill -9: jobs, succeeded, results (exactly one per job), executions (attempts started), kills,
  executions - results (<= interruptible: one per pool child killed, the pool size per main
  process killed; more means a job ran twice), seconds from the last kill until every job had
  finished;
- poison: good jobs failed (0 expected) and, per poison file, its status, attempts and reason;
- Redis frozen (SIGSTOP) then down during uploads: uploads, 2xx, 2xx with a job, slowest
  request (s), seconds from Redis' return until every job had finished;
- PostgreSQL fast and immediate restarts under reads: requests, 5xx inside the restart
  windows (503 expected, never 500), 5xx outside them (0 expected), window lengths (s);
- the same restarts while workers run a queue of analyses and uploads go on: acknowledged
  uploads lost (0 expected), jobs finished once, seconds until the workers finish a job again;
- a time-limit poison job: failed on attempt 1 naming the limit, the worker goes on;
- big uploads, every other one cut half-way and sent again: hashes match, partial files left
  (0 expected), growth of the web processes' memory (target < 64 MiB);
- a flipped byte; disk full and read-only store (needs root for the tmpfs).

No figure here is a speed target: they are counts of things that must not happen and the
recovery times of this machine (2 cores shared), for the reliability section of the README.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labdb.settings")

import django

django.setup()

from tests.chaos import scenarios  # noqa: E402
from tests.chaos import scenarios_full as full  # noqa: E402
from tests.chaos.services import missing_tools, stack  # noqa: E402

PG_MODES = (("fast", False), ("immediate", False), ("fast", True), ("immediate", True))


def short_plan(lab: Any, k: int, web_pid: int) -> dict[str, Any]:
    """The default run (about 10 minutes): the tests/chaos scenarios, larger by ``k``."""
    return {
        "kill -9": lambda: scenarios.kill_workers(
            lab.for_run("CHAOS-KILL"), n_jobs=60 * k, pool_kills=6 * k, main_kills=2 * k, cycles=120
        ),
        "poison": lambda: scenarios.poison_jobs(lab.for_run("CHAOS-POISON"), n_good=40 * k),
        "time-limit poison": lambda: full.time_limit_poison(lab.for_run("CHAOS-SLOW")),
        "redis outage": lambda: scenarios.redis_outage(
            lab.for_run("CHAOS-REDIS"), n_uploads=60 * k, freeze_s=15, down_s=15
        ),
        "postgres restart": lambda: scenarios.postgres_restart(
            lab.for_run("CHAOS-PG"), seconds=40, modes=PG_MODES
        ),
        "postgres restart with jobs": lambda: full.postgres_restart_with_jobs(
            lab.for_run("CHAOS-PG-JOBS"),
            n_jobs=50 * k,
            n_uploads=20 * k,
            modes=("fast", "immediate"),
        ),
        "big uploads": lambda: full.big_uploads(
            lab.for_run("CHAOS-BIG"), web_pid, n=4 * k, size_mb=50
        ),
        "flipped byte": lambda: scenarios.flipped_byte(lab.for_run("CHAOS-BYTE")),
    }


def full_plan(lab: Any, web_pid: int) -> dict[str, Any]:
    """The issue's sizes: 1,000 jobs under kill -9, 990 + 10 poison, 200 uploads through a
    60 s Redis outage, 500 analyses + 100 uploads across PostgreSQL restarts, 20 x 150 MB
    uploads with every other one cut mid-way."""
    return {
        "kill -9": lambda: scenarios.kill_workers(
            lab.for_run("CHAOS-KILL"), n_jobs=1000, pool_kills=40, main_kills=10, cycles=120
        ),
        "poison": lambda: scenarios.poison_jobs(
            lab.for_run("CHAOS-POISON"), n_good=990, n_poison=10
        ),
        "time-limit poison": lambda: full.time_limit_poison(lab.for_run("CHAOS-SLOW")),
        "redis outage": lambda: scenarios.redis_outage(
            lab.for_run("CHAOS-REDIS"), n_uploads=200, freeze_s=30, down_s=30, extra_wait_s=900
        ),
        "postgres restart": lambda: scenarios.postgres_restart(
            lab.for_run("CHAOS-PG"), seconds=60, modes=PG_MODES
        ),
        "postgres restart with jobs": lambda: full.postgres_restart_with_jobs(
            lab.for_run("CHAOS-PG-JOBS"),
            n_jobs=500,
            n_uploads=100,
            modes=("fast", "immediate", "fast", "immediate"),
            workers=2,
        ),
        "big uploads": lambda: full.big_uploads(
            lab.for_run("CHAOS-BIG"), web_pid, n=20, size_mb=150
        ),
        "flipped byte": lambda: scenarios.flipped_byte(lab.for_run("CHAOS-BYTE")),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="multiplies the job counts")
    parser.add_argument(
        "--full", action="store_true", help="the issue's sizes (hours on 2 shared cores)"
    )
    parser.add_argument("--only", action="append", help="run only these scenarios (repeatable)")
    args = parser.parse_args()
    why = missing_tools()
    if why:
        print(f"skipped: {why}")
        return 0
    k = max(1, args.scale)
    t0 = time.monotonic()
    with stack(
        blob_disk_mb=4096 if args.full else 1024,  # 20 x 150 MB must fit in --full
        LABDB_JOB_LEASE_S="6",
        LABDB_TASK_SOFT_TIME_LIMIT="30",
        LABDB_TASK_TIME_LIMIT="40",
        LABDB_VISIBILITY_TIMEOUT="60",
    ) as s:
        lab = scenarios.lab(s)
        lab.sweeper(3)
        web_pid = next(p.pid for p in s.procs if "gunicorn" in " ".join(map(str, p.args)))
        plan = full_plan(lab, web_pid) if args.full else short_plan(lab, k, web_pid)
        if s.blob_disk is not None:
            plan["disk full"] = lambda: scenarios.disk_full(lab.for_run("CHAOS-DISK"))
        if args.only:
            plan = {name: f for name, f in plan.items() if name in args.only}
        results: dict[str, dict[str, Any]] = {}
        for name, scenario in plan.items():
            t1 = time.monotonic()
            try:
                results[name] = scenario()
            except Exception as exc:  # a scenario that broke is a figure too
                results[name] = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
            results[name]["scenario_s"] = round(time.monotonic() - t1)
    kill = results.get("kill -9", {})
    if "executions" in kill:
        kill["executions_minus_results"] = kill["executions"] - kill["results"]
    for name, figures in results.items():
        print(f"== {name}")
        print(json.dumps(figures, indent=1, default=str))
    print(f"total {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
