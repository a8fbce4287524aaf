"""What a precomputed per-cell summary table would save /compare/ (a measurement, no feature).

On a kept bench database (``bench/scale.py --keep``), in one connection: builds a temporary
table ``proto_cell_summary`` (one row per cell: its main result's id and metric columns, its
formation ICE, its RCTs as JSON) from the live summary query of
:mod:`labdb.selectors.cell_summary` (the backfill a migration would run), checks that reading
it gives every cell the same :class:`~labdb.selectors.headline.CellMetrics` as the live query,
times the refresh of one cell (what storing a result or removing a file would run), then times
/compare/ with the live query and with the table read in its place (``cell_summaries`` swapped
for this process only), alternately. Times are the wall clock, the Python process's CPU
(``time.process_time``) and the PostgreSQL backend's CPU (utime + stime of its
``/proc/PID/stat``), medians of ``--repeat`` requests; ``DEBUG`` off.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/labdb_bench_scale_10092 \\
        python bench/summary_table.py [--repeat 5]

Results: docs/scale-out.md ("Fifth run").
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLE = "proto_cell_summary"


def _cpu_of(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:  # fields after the command: utime, stime = 11, 12
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timer(pid: int, repeat: int) -> Callable[[Callable[[], Any]], tuple[Any, str]]:
    def timed(fn: Callable[[], Any]) -> tuple[Any, str]:
        walls, pys, pgs, out = [], [], [], None
        for _ in range(repeat):
            w, p, g = time.perf_counter(), time.process_time(), _cpu_of(pid)
            out = fn()
            walls.append(time.perf_counter() - w)
            pys.append(time.process_time() - p)
            pgs.append(_cpu_of(pid) - g)
        ms = [1000 * statistics.median(x) for x in (walls, pys, pgs)]
        return out, f"wall {ms[0]:6.0f} ms, Python {ms[1]:5.0f} ms, PostgreSQL {ms[2]:5.0f} ms"

    return timed


def backfill(user: Any, cells: list[Any]) -> None:
    """The table from the live summary query over ``cells``, one row per cell."""
    from django.db import connection

    from labdb.selectors import cell_summary as cs
    from labdb.selectors.headline import LONG_TERM_KINDS

    cols = cs.METRIC_COLUMNS
    cte, params = cs._newest_cte(user, cells)
    names = ", ".join(["tag", "cell", "job", "n", "value", *cols])
    firsts = ", ".join(f"(array_agg({c}) FILTER (WHERE tag = 'main'))[1] AS {c}" for c in cols)
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cur.execute(f"SET work_mem = '{cs.SORT_MEMORY}'")
        cur.execute(
            f"""CREATE TEMP TABLE {TABLE} AS
            SELECT cell AS cell_id, (array_agg(job) FILTER (WHERE tag = 'main'))[1] AS main_id,
                   {firsts}, max(value) FILTER (WHERE tag = 'formation') AS formation_ice,
                   COALESCE(jsonb_object_agg(n, value) FILTER (WHERE tag = 'rct'), '{{}}') AS rct
            FROM ({cs._summary_sql(cte)}) AS s({names}) GROUP BY cell""",  # nosec B608
            [*params, *LONG_TERM_KINDS],
        )
        cur.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (cell_id)")
        cur.execute(f"ANALYZE {TABLE}")
        cur.execute("RESET work_mem")


def read_table(user: Any, cells: Any) -> dict[Any, Any]:
    """``cell_summaries`` from the table: one narrow row per cell."""
    from django.db import connection

    from labdb import models as m
    from labdb.selectors.cell_summary import METRIC_COLUMNS
    from labdb.selectors.headline import CellMetrics
    from labdb.selectors.lean import lean_instance

    out = {c.id: CellMetrics(cell=c, result=None) for c in cells}
    ids = "{" + ",".join(str(c.id) for c in cells) + "}"
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT cell_id, main_id, {', '.join(METRIC_COLUMNS)}, formation_ice, rct"
            f" FROM {TABLE} WHERE cell_id = ANY(%s::uuid[])",  # nosec B608
            [ids],
        )
        rows = cur.fetchall()
    names = ["job_id", *METRIC_COLUMNS]
    for cell_id, main_id, *rest in rows:
        *metrics, ice, rct = rest
        cm = out[cell_id]
        if main_id is not None:
            cm.take_main(lean_instance(m.AnalysisResult, names, [main_id, *metrics]), ice)
        rct = json.loads(rct) if isinstance(rct, str) else rct
        for n, value in sorted((int(k), v) for k, v in rct.items()):
            cm.rct_after[n] = value
    return out


def _key(cm: Any) -> tuple[Any, ...]:
    r = cm.result
    return (
        r.job_id if r is not None else None,
        *(cm.value(k) for k in ("ice", "average_ce", "cumulative_ce", "cycles", "retention")),
        cm.short_circuit_cycle,
        cm.cycle_life,
        cm.total_time_h,
        cm.rct_after,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labdb.settings")
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from labdb import models as m
    from labdb.selectors import cell_summary as cs
    from labdb.selectors.access import visible

    settings.DEBUG = False  # no query log (a server runs with DJANGO_DEBUG=0)

    def log(text: str) -> None:
        print(f"{text}  (load {os.getloadavg()[0]:.1f})", flush=True)

    user = get_user_model().objects.get(username="demo")
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        timed = _timer(cur.fetchone()[0], args.repeat)
    cells = list(visible(m.Cell, user))
    log(f"{len(cells)} cells, {m.AnalysisResult.objects.count()} results")
    live, t = timed(lambda: cs.cell_summaries(user, cells))
    log(f"live cell_summaries, all cells:        {t}")
    _, t = timed(lambda: backfill(user, cells))
    log(f"backfill (CREATE TABLE AS), all cells: {t}")
    table, t = timed(lambda: read_table(user, cells))
    log(f"cell_summaries read from the table:    {t}")
    same = sum(_key(live[c]) == _key(table[c]) for c in live)
    log(f"table == live for {same} of {len(live)} cells")
    refresh = []
    for cell in cells[:: max(1, len(cells) // 20)][:20]:
        t0 = time.perf_counter()
        cs.cell_summaries(user, [cell])
        refresh.append(1000 * (time.perf_counter() - t0))
    p50, top = statistics.median(refresh), max(refresh)
    log(f"summary of one cell (a refresh): p50 {p50:.1f} ms, max {top:.1f} ms")
    client = Client()
    client.force_login(user)
    live_summaries = cs.cell_summaries
    for group in ("seed", "binder"):
        pages = {}
        for variant in ("live", "table"):
            cs.cell_summaries = read_table if variant == "table" else live_summaries
            try:
                response, t = timed(lambda: client.get(f"/compare/?group={group}"))  # noqa: B023
            finally:
                cs.cell_summaries = live_summaries
            assert response.status_code == 200, response.status_code
            pages[variant] = response.content.decode()
            log(f"/compare/?group={group} {variant:5s}: {t}")
        # the pages differ only by their CSRF tokens
        strip = [
            "\n".join(ln for ln in p.splitlines() if "csrfmiddlewaretoken" not in ln)
            for p in pages.values()
        ]
        log(f"  same page (but CSRF tokens): {strip[0] == strip[1]}")


if __name__ == "__main__":
    main()
