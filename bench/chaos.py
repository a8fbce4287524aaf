"""Long chaos scenarios with their figures: ``python bench/chaos.py [--scale N]``.

The same scenarios as ``tests/chaos`` (:mod:`tests.chaos.scenarios`), larger, on a stack of
the script's own (PostgreSQL, Redis, gunicorn with 2 workers, Celery workers with 2 pool
processes, 127.0.0.1 only, everything stopped by pid at the end), with beat's real one-minute
sweep replaced by a 3 s sweep so that a run takes minutes, not hours. Printed per scenario:

- kill -9: jobs, succeeded, results (exactly one per job), executions (attempts started), kills,
  executions - results (<= kills when no job ran twice), seconds from the last kill until every
  job had finished;
- poison: good jobs failed (0 expected) and, per poison file, its status, attempts and reason;
- Redis frozen (SIGSTOP) then down during uploads: uploads, 2xx, 2xx with a job, slowest
  request (s), seconds from Redis' return until every job had finished;
- PostgreSQL fast and immediate restarts under reads: requests, 5xx inside the restart
  windows (503 expected, never 500), 5xx outside them (0 expected), window lengths (s);
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
from tests.chaos.services import missing_tools, stack  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="multiplies the job counts")
    args = parser.parse_args()
    why = missing_tools()
    if why:
        print(f"skipped: {why}")
        return 0
    k = max(1, args.scale)
    t0 = time.monotonic()
    with stack(
        blob_disk_mb=1024,
        LABDB_JOB_LEASE_S="6",
        LABDB_TASK_SOFT_TIME_LIMIT="30",
        LABDB_TASK_TIME_LIMIT="40",
        LABDB_VISIBILITY_TIMEOUT="60",
    ) as s:
        lab = scenarios.lab(s)
        lab.sweeper(3)
        plan = {
            "kill -9": lambda: scenarios.kill_workers(
                lab.for_run("CHAOS-KILL"),
                n_jobs=60 * k,
                pool_kills=6 * k,
                main_kills=2 * k,
                cycles=120,
            ),
            "poison": lambda: scenarios.poison_jobs(lab.for_run("CHAOS-POISON"), n_good=40 * k),
            "redis outage": lambda: scenarios.redis_outage(
                lab.for_run("CHAOS-REDIS"), n_uploads=60 * k, freeze_s=15, down_s=15
            ),
            "postgres restart": lambda: scenarios.postgres_restart(
                lab.for_run("CHAOS-PG"),
                seconds=40,
                modes=(("fast", False), ("immediate", False), ("fast", True), ("immediate", True)),
            ),
            "flipped byte": lambda: scenarios.flipped_byte(lab.for_run("CHAOS-BYTE")),
        }
        if s.blob_disk is not None:
            plan["disk full"] = lambda: scenarios.disk_full(lab.for_run("CHAOS-DISK"))
        results: dict[str, dict[str, Any]] = {}
        for name, scenario in plan.items():
            t1 = time.monotonic()
            try:
                results[name] = scenario()
            except Exception as exc:  # a scenario that broke is a figure too
                results[name] = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
            results[name]["scenario_s"] = round(time.monotonic() - t1)
    kill = results["kill -9"]
    if "executions" in kill:
        kill["executions_minus_results"] = kill["executions"] - kill["results"]
    for name, figures in results.items():
        print(f"== {name}")
        print(json.dumps(figures, indent=1, default=str))
    print(f"total {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
