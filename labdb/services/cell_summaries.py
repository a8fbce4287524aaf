"""Keeping the per-cell summary table (:class:`~labdb.models.CellSummary`) equal to the live
computation (:func:`labdb.selectors.cell_summary.live_cell_summaries`).

The triggers of migration 0032 mark a cell stale in the transaction of every write that can
change its summary (why triggers, not hooks in each service: :mod:`labdb.models.summaries`);
:func:`cell_summaries_refresh` takes the stale marks and recomputes those cells with the live
query (one query for any number of cells: a refresh of one cell costs about 7 ms, of a
decade's 10,000 cells about a second), in one transaction. It runs before every read of the
table, so a reader never sees a summary older than the data it committed.

Concurrent refreshes: the marks are taken with ``DELETE ... RETURNING`` in the refreshing
transaction. A write that commits after the refresh read its inputs marks the cell again (its
``INSERT`` of the mark waits for the refresh's delete to commit), so the next read recomputes
it; nothing is lost, at worst a cell is recomputed twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from labdb import models as m
from labdb.lookups import Many
from labdb.models.cycle_rows import rows_of_results
from labdb.selectors.cell_summary import METRIC_COLUMNS, summary_rows

#: the live query and the per-cycle rows read this many cells at a time
CHUNK = 5000
_STALE = m.CellSummaryStale._meta.db_table


def computed_summaries(cell_ids: Iterable[Any]) -> dict[Any, m.CellSummary]:
    """cell pk -> its summary computed now from every result (not saved): the main result and
    its metric columns, the formation ICE, the RCTs, the main result's cumulative CE per
    cycle. Cells without any kept cycling or EIS result have none."""
    out: dict[Any, m.CellSummary] = {}

    def row(cell_id: Any) -> m.CellSummary:
        if cell_id not in out:
            out[cell_id] = m.CellSummary(cell_id=cell_id, rct_after={})
        return out[cell_id]

    for tag, cell_id, job_id, n, value, *metrics in summary_rows(None, cell_ids):
        summary = row(cell_id)
        if tag == "main":
            summary.main_result_id = job_id
            for column, v in zip(METRIC_COLUMNS, metrics, strict=True):
                setattr(summary, column, v)
        elif tag == "formation":
            summary.formation_ice = value
        else:
            summary.rct_after[str(n)] = value
    by_result = {s.main_result_id: s for s in out.values() if s.main_result_id is not None}
    for result_id, series in cumulative_ce_series(by_result).items():
        by_result[result_id].cumulative_ce_by_cycle = series
    return out


def cumulative_ce_series(result_ids: Iterable[Any]) -> dict[Any, list[Any]]:
    """result pk -> its stored cumulative CE of cycle k at index k - 1 (the value of each
    cycle row's ``values``; None where a cycle has no row), cycles from 1."""
    cycles: dict[Any, dict[int, Any]] = {}
    for result_id, (cycle, value) in rows_of_results(
        result_ids, ("cycle", "values__cumulative_coulombic_efficiency"), cycle__gte=1
    ):
        cycles.setdefault(result_id, {})[cycle] = value
    return {
        r: [by_cycle.get(k) for k in range(1, max(by_cycle) + 1)] for r, by_cycle in cycles.items()
    }


def _take_stale() -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_STALE} RETURNING cell_id")  # nosec B608: model's table
        field_ = m.CellSummaryStale._meta.pk
        return [field_.to_python(cell_id) for (cell_id,) in cursor.fetchall()]  # type: ignore[union-attr]


def _store(cell_ids: list[Any]) -> int:
    existing = set(m.Cell.objects.filter(pk__any_of=Many(cell_ids)).values_list("pk", flat=True))
    ids = [c for c in cell_ids if c in existing]
    n = 0
    updated = [f.name for f in m.CellSummary._meta.concrete_fields if not f.primary_key]
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = computed_summaries(chunk)
        # one transaction per chunk (a reader never sees a cell without its summary), and an
        # upsert: two processes refreshing the same cell at once (a write marked it stale
        # again while the first was computing) both succeed, the later commit wins
        with transaction.atomic():
            m.CellSummary.objects.filter(cell_id__any_of=Many(chunk)).exclude(
                cell_id__any_of=Many(list(rows))
            ).delete()
            m.CellSummary.objects.bulk_create(
                rows.values(),
                batch_size=500,
                update_conflicts=True,
                unique_fields=["cell"],
                update_fields=updated,
            )
        n += len(rows)
    return n


@transaction.atomic
def cell_summaries_refresh(*, cell_ids: Iterable[Any] | None = None) -> int:
    """Recompute the summaries of the cells marked stale (and of ``cell_ids`` when given);
    returns the number of cells recomputed. Nothing to do costs one ``SELECT`` (no write: on
    SQLite a ``DELETE`` would take the write lock on every read of the table)."""
    stale = m.CellSummaryStale.objects.exists()
    ids = set(_take_stale()) if stale else set()
    if cell_ids is not None:
        ids |= set(cell_ids)
        m.CellSummaryStale.objects.filter(cell_id__any_of=Many(ids)).delete()
    if not ids:
        return 0
    _store(sorted(ids, key=str))
    return len(ids)


@transaction.atomic
def cell_summaries_rebuild() -> int:
    """Every cell's summary recomputed (the table emptied first): what the migration's
    backfill and ``manage.py cell_summaries rebuild`` do; returns the number of cells."""
    _take_stale()
    m.CellSummary.objects.all().delete()
    return _store(list(m.Cell.objects.order_by().values_list("pk", flat=True)))


def missing_triggers() -> list[str]:
    """The triggers of migration 0032 that the database lacks (on SQLite a later migration
    that rebuilds a table drops that table's triggers: ``manage.py cell_summaries verify``
    and tests/labdb/test_cell_summaries.py report it)."""
    from importlib import import_module

    expected = import_module("labdb.migrations.0032_cell_summaries").trigger_names(
        connection.vendor
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        have = {name for (name,) in cursor.fetchall()}
    return [name for name in expected if name not in have]


@dataclass
class Difference:
    """A cell whose stored summary differs from the live computation."""

    cell_id: Any
    stored: dict[str, Any] | None
    live: dict[str, Any] | None
    fields: list[str] = field(default_factory=list)


SUMMARY_FIELDS = (
    "main_result_id",
    *METRIC_COLUMNS,
    "formation_ice",
    "rct_after",
    "cumulative_ce_by_cycle",
)


def _as_dict(summary: m.CellSummary) -> dict[str, Any]:
    return {f: getattr(summary, f) for f in SUMMARY_FIELDS}


def cell_summaries_verify(*, refresh: bool = True) -> list[Difference]:
    """The cells whose stored summary is not what the live query computes now (after the
    stale cells are refreshed unless ``refresh`` is False: then a stale cell shows too)."""
    if refresh:
        cell_summaries_refresh()
    ids = list(m.Cell.objects.order_by().values_list("pk", flat=True))
    stored = {s.cell_id: _as_dict(s) for s in m.CellSummary.objects.all()}
    out = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        live = {k: _as_dict(v) for k, v in computed_summaries(chunk).items()}
        for cell_id in chunk:
            a, b = stored.get(cell_id), live.get(cell_id)
            if a != b:
                keys = [f for f in SUMMARY_FIELDS if (a or {}).get(f) != (b or {}).get(f)]
                out.append(Difference(cell_id, a, b, keys))
    return out
