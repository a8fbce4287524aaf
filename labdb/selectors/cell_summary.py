"""The headline numbers of many cells at once, picked by the database.

:func:`labdb.selectors.results.cell_metrics` given the results of the cells builds each cell's
summary in Python from every result of every run (a decade of a lab is 50,000 results);
:func:`cell_summaries` answers the same question with a few window-function queries over the
run-metric columns each :class:`~labdb.models.AnalysisResult` stores when its job finishes
(immutable thereafter, migration 0014), so nothing is denormalised and the provenance of every
number stays its result (``CellMetrics.result``). The rules are those of ``cell_metrics``
(tests/labdb/statistics/cell_summary_checks.py, run by tests/labdb/test_demo.py, checks both give the same numbers):

- each run's newest result of each kind (files removed from use left out);
- the cell's main cycling result: a long-term cycling run (plating/stripping, galvanostatic)
  before any other, then the most cycles, then the first run by label;
- a full cell's initial CE from its formation run (the first by label) when it has one;
- RCT after N cycles: the first spectrum of the after-N-cycles EIS run (the last by label
  when a cell has several for one N), in ohm cm2 when the cell's area is known, else ohm.

One query whatever the number of cells: each run's newest cycling or EIS result is picked
once (a ``ROW_NUMBER()`` window in a CTE, carrying only what the picks read), then the cell's
main result, its formation ICE and its RCTs by window functions over that CTE, as rows of
three kinds joined by cell in Python; rows come back as tuples (no ORM model per row but the
main result itself, built without ``Model.__init__`` (:mod:`labdb.selectors.lean`) with
only its metric columns). A decade (bench/scale.py, 10,000 cells, 50,000 results): the
results of other kinds (dQ/dV, CV) are left out before the sorts, removed files are one
hashed ``NOT IN`` list, and the sorts stay in memory (:data:`SORT_MEMORY`).

That query is :func:`live_cell_summaries`; :func:`labdb.selectors.cell_summary_table.cell_summaries` reads
the same summaries from the table it fills (:class:`~labdb.models.CellSummary`, kept in step by triggers,
:mod:`labdb.services.cell_summaries`): one narrow row per cell.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from labdb import models as m
from labdb.lookups import Many
from labdb.selectors.access import visible
from labdb.selectors.headline import LONG_TERM_KINDS, CellMetrics
from labdb.selectors.lean import lean_instance

#: the metric columns of a result that a summary reads
METRIC_COLUMNS = tuple(metric.column for metric in m.RUN_METRICS)
#: PostgreSQL's memory for the summary's sorts (this query only, ``SET LOCAL``): the default
#: 4 MB spilled the ranking of a decade's 50,000 results to disk (bench/scale.py)
SORT_MEMORY = "64MB"
#: (alias, ORM path) of the columns of each newest result the summary works on
_NEWEST = {
    "cell": "test_run__cell_id",
    "run_label": "test_run__label",
    "after_cycles": "test_run__after_cycles",
    "protocol_kind": "test_run__protocol__kind",
}


def _visible_results(user: Any, cells: Sequence[m.Cell]) -> QuerySet[m.AnalysisResult]:
    # NOT EXISTS rather than the LEFT JOIN of ``job__data_file__removal__isnull``: with (almost)
    # no removals PostgreSQL estimated 0.5 % of all files kept and walked every file up to its
    # run before the cell filter (4 s for a page of 50 cells among 10,000, bench/scale.py)
    removed = m.DataFileRemoval.objects.filter(data_file_id=OuterRef("job__data_file_id"))
    return (
        visible(m.AnalysisResult, user)
        .filter(test_run__cell_id__any_of=Many(c.id for c in cells))
        .exclude(Exists(removed))
    )


def _kept_results(user: Any, cell_ids: Iterable[Any]) -> QuerySet[m.AnalysisResult]:
    """The visible cycling and EIS results of the cells whose file is in use (``user`` None:
    every result, as the summary table holds them). The removed files' jobs are one hashed
    list (``NOT IN``, a handful of rows) instead of an anti-join through every result's job
    (50,000 jobs scanned and joined at a decade's scale)."""
    removed_jobs = m.AnalysisJob.objects.filter(data_file__removal__isnull=False).values("pk")
    results = m.AnalysisResult.objects.all() if user is None else visible(m.AnalysisResult, user)
    return results.filter(
        test_run__cell_id__any_of=Many(cell_ids), kind__in=("cycling", "eis")
    ).exclude(job_id__in=removed_jobs)


def _newest_window() -> Window:
    return Window(
        RowNumber(),
        partition_by=[F("test_run_id"), F("kind")],
        order_by=[F("created_at").desc(), F("job_id").desc()],
    )


def _newest_cte(user: Any, cell_ids: Iterable[Any]) -> tuple[str, list[Any]]:
    """``ranked`` (every kept cycling or EIS result of the cells with its rank among its
    run's results of its kind, 1 = newest) and ``newest`` (rank 1), as the SQL of a ``WITH``
    clause. Only what the picks read is carried through the sorts (no cell join: a full
    cell's formation ICE is picked for every cell and used for full cells only, as
    :meth:`CellMetrics.take_main` does)."""
    qs = (
        _kept_results(user, cell_ids)
        .annotate(newest=_newest_window(), **{k: F(v) for k, v in _NEWEST.items()})
        .values("job_id", "kind", *METRIC_COLUMNS, *_NEWEST, "newest")
        .order_by()
    )
    sql, params = qs.query.sql_with_params()
    cte = f"ranked AS ({sql}), newest AS (SELECT * FROM ranked WHERE newest = 1)"  # nosec B608: Django's compiled SQL, values passed as parameters
    return cte, list(params)


def _summary_sql(cte: str) -> str:
    """One query, three kinds of rows (the ``newest`` CTE is computed once):

    - ``main``: per cell with cycling results, its main result's id and metric columns;
    - ``formation``: per cell, the initial CE of its first formation run (by label);
    - ``rct``: per cell and N, the RCT of the after-N-cycles EIS run chosen (the last by
      label): the first spectrum's RCT per area, else in ohm (NULL without a fit).

    Rows are (tag, cell, job, N, value, *metric columns); the caller joins them by cell."""
    long_term = ", ".join(["%s"] * len(LONG_TERM_KINDS))
    cols = ", ".join(f"main.{c}" for c in METRIC_COLUMNS)
    nulls = ", ".join(["NULL"] * len(METRIC_COLUMNS))
    fits = m.EISSpectrumFit._meta.db_table
    return f"""
WITH {cte},
main AS (
  SELECT newest.*, ROW_NUMBER() OVER (
    PARTITION BY cell
    ORDER BY CASE WHEN protocol_kind IN ({long_term}) THEN 0 ELSE 1 END,
             COALESCE(cycle_count, 0) DESC, run_label ASC
  ) AS pick
  FROM newest WHERE kind = 'cycling'
),
formation AS (
  SELECT cell, initial_coulombic_efficiency AS ice,
         ROW_NUMBER() OVER (PARTITION BY cell ORDER BY run_label ASC) AS pick
  FROM newest WHERE kind = 'cycling' AND protocol_kind = 'formation'
),
eis AS (
  SELECT job_id, cell, after_cycles, ROW_NUMBER() OVER (
    PARTITION BY cell, after_cycles ORDER BY run_label DESC
  ) AS pick
  FROM newest WHERE kind = 'eis' AND after_cycles IS NOT NULL
)
SELECT 'main', main.cell, main.job_id, CAST(NULL AS INTEGER), CAST(NULL AS DOUBLE PRECISION), {cols}
  FROM main WHERE main.pick = 1
UNION ALL
SELECT 'formation', cell, NULL, NULL, ice, {nulls} FROM formation WHERE pick = 1
UNION ALL
SELECT 'rct', eis.cell, NULL, eis.after_cycles,
       (SELECT COALESCE(f.rct_ohm_cm2, f.rct_ohm) FROM {fits} f
         WHERE f.result_id = eis.job_id ORDER BY f.spectrum LIMIT 1), {nulls}
  FROM eis WHERE pick = 1
"""  # nosec B608: identifiers from the models, values passed as parameters


def stored_uuid(value: Any) -> Any:
    """A cell id as the model holds it (SQLite returns UUIDs as hex text)."""
    if isinstance(value, uuid.UUID):
        return value
    return m.Cell._meta.pk.to_python(value)  # type: ignore[union-attr]


def summary_rows(user: Any, cell_ids: Iterable[Any]) -> list[tuple[Any, ...]]:
    """The live query's rows for the cells (see :func:`_summary_sql`): (tag, cell, job, N,
    value, *metric columns), cell and job ids as the model holds them."""
    cte, params = _newest_cte(user, cell_ids)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # the two sorts of 50,000 rows stay in memory
            cursor.execute(f"SET LOCAL work_mem = '{SORT_MEMORY}'")
        cursor.execute(_summary_sql(cte), [*params, *LONG_TERM_KINDS])
        rows = cursor.fetchall()
    return [
        (tag, stored_uuid(cell), None if job is None else stored_uuid(job), *rest)
        for tag, cell, job, *rest in rows
    ]


def live_cell_summaries(user: Any, cells: Sequence[m.Cell]) -> dict[Any, CellMetrics]:
    """cell pk -> :class:`CellMetrics` of each of ``cells`` computed now from the results
    ``user`` sees (see the module's rules): what the summary table holds, and its reference
    (``manage.py cell_summaries verify``)."""
    out = {c.id: CellMetrics(cell=c, result=None) for c in cells}
    if not cells:
        return out
    names = ["job_id", *METRIC_COLUMNS]
    mains, formation, rcts = [], {}, []
    for tag, cell_id, job_id, n, value, *metrics in summary_rows(user, (c.id for c in cells)):
        if tag == "main":
            mains.append((cell_id, [job_id, *metrics]))
        elif tag == "formation":
            formation[cell_id] = value
        else:
            rcts.append((cell_id, n, value))
    for cell_id, values in mains:
        main = lean_instance(m.AnalysisResult, names, values)
        out[cell_id].take_main(main, formation.get(cell_id))
    for cell_id, n, rct in sorted(rcts, key=lambda row: row[1]):
        out[cell_id].rct_after[n] = rct
    return out


#: what :func:`cell_summaries` reads of a summary row
def deviating_results(user: Any, cells: Sequence[m.Cell]) -> list[m.AnalysisResult]:
    """The newest results on ``cells`` whose protocol check found deviations (with their
    runs): what :func:`labdb.selectors.statistics.run_deviations` reads. The few results
    with deviations are found first, then each is kept if no newer result of its run and kind
    (file not removed) exists, instead of ranking every result."""
    newer = m.AnalysisResult.objects.filter(
        test_run_id=OuterRef("test_run_id"),
        kind=OuterRef("kind"),
        job__data_file__removal__isnull=True,
    ).filter(
        Q(created_at__gt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), job_id__gt=OuterRef("job_id"))
    )
    return list(
        _visible_results(user, cells)
        .filter(conformance__deviations__0__isnull=False)
        .exclude(Exists(newer))
        .select_related("test_run")
        .order_by("test_run__cell_id", "test_run__label")
    )
