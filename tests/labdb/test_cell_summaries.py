"""The per-cell summary table (labdb.models.CellSummary) equals the live computation
(labdb.selectors.cell_summary.live_cell_summaries) after every kind of write that changes a
cell's summary: each test makes a write that changes the live numbers, so a missing trigger
(the table's only refresh path, migration 0032) leaves the table behind and the test fails.
Runs on SQLite and, under DATABASE_URL, on PostgreSQL (each backend has its own triggers)."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from labdb import models as m
from labdb.selectors import results as sel
from labdb.selectors.cell_summary import live_cell_summaries
from labdb.selectors.cell_summary_table import cell_summaries
from labdb.services.cell_summaries import (
    cell_summaries_verify,
    cumulative_ce_series,
    missing_triggers,
)
from labdb.services.reviews import data_file_remove
from tests.labdb.statistics.conftest import half_cell_csv
from tests.labdb.web.conftest import blobs, eis_after, ingest, make_run  # noqa: F401

FIELDS = [f.name for f in dataclasses.fields(sel.CellMetrics) if f.name not in ("cell", "result")]


def _numbers(cm: sel.CellMetrics) -> tuple[Any, ...]:
    return (None if cm.result is None else cm.result.pk, *(getattr(cm, f) for f in FIELDS))


def table_equals_live(user: Any) -> dict[str, sel.CellMetrics]:
    """Assert that the table read (after the stale cells are refreshed) gives every cell the
    live numbers and that every stored row equals the live computation (including the
    per-cycle cumulative CE); returns the live summaries by cell label."""
    cells = list(m.Cell.objects.order_by("label"))
    stored = cell_summaries(user, cells)
    live = live_cell_summaries(user, cells)
    assert {c.label: _numbers(stored[c.pk]) for c in cells} == {
        c.label: _numbers(live[c.pk]) for c in cells
    }
    assert cell_summaries_verify(refresh=False) == []
    return {c.label: live[c.pk] for c in cells}


@pytest.fixture
def runs(demo: m.Project, demo_user: Any, ingest: Any) -> dict[str, m.TestRun]:  # noqa: F811
    """MgAgSn-E-HC1: two plating/stripping runs of four cycles (A at CE 0.98, B at 0.95; A is
    the main one, first by label); MgAgSn-E-HC2: one run at 0.97."""
    out = {}
    for label, cell, ce in (
        ("HC1-PS-A", "MgAgSn-E-HC1", 0.98),
        ("HC1-PS-B", "MgAgSn-E-HC1", 0.95),
        ("HC2-PS", "MgAgSn-E-HC2", 0.97),
    ):
        out[label] = run = make_run(demo, demo_user, label, cell, "PS-1mA-1mAh")
        ingest(run, half_cell_csv([ce] * 4), f"{label}.csv")
    return out


def _main_run(summaries: dict[str, sel.CellMetrics], cell: str) -> str | None:
    result = summaries[cell].result
    return None if result is None else m.AnalysisResult.objects.get(pk=result.pk).test_run.label


def test_a_stored_result_and_a_newer_one_replace_the_summary(
    runs: dict[str, m.TestRun],
    demo_user: Any,
    ingest: Any,  # noqa: F811
) -> None:
    before = table_equals_live(demo_user)
    assert _main_run(before, "MgAgSn-E-HC1") == "HC1-PS-A"
    assert before["MgAgSn-E-HC1"].average_ce == pytest.approx(0.98, abs=1e-3)
    ingest(runs["HC1-PS-A"], half_cell_csv([0.90] * 4), "again.csv")  # supersedes A's result
    after = table_equals_live(demo_user)
    assert after["MgAgSn-E-HC1"].average_ce == pytest.approx(0.90, abs=1e-3)
    assert after["MgAgSn-E-HC1"].result.pk != before["MgAgSn-E-HC1"].result.pk  # type: ignore[union-attr]


def test_a_removed_file_leaves_the_summary(runs: dict[str, m.TestRun], demo_user: Any) -> None:
    table_equals_live(demo_user)
    data_file = m.DataFile.objects.get(test_run=runs["HC1-PS-A"])
    data_file_remove(data_file=data_file, reason="wrong cell", user=demo_user)
    after = table_equals_live(demo_user)
    assert _main_run(after, "MgAgSn-E-HC1") == "HC1-PS-B"
    data_file = m.DataFile.objects.get(test_run=runs["HC2-PS"])
    data_file_remove(data_file=data_file, reason="wrong cell", user=demo_user)
    assert table_equals_live(demo_user)["MgAgSn-E-HC2"].result is None


def test_a_relabelled_run_by_queryset_update(runs: dict[str, m.TestRun], demo_user: Any) -> None:
    table_equals_live(demo_user)
    m.TestRun.objects.filter(pk=runs["HC1-PS-B"].pk).update(label="HC1-PS-0")
    assert _main_run(table_equals_live(demo_user), "MgAgSn-E-HC1") == "HC1-PS-0"


def test_a_run_moved_to_another_cell(runs: dict[str, m.TestRun], demo_user: Any) -> None:
    table_equals_live(demo_user)
    run = runs["HC1-PS-A"]
    run.cell = m.Cell.objects.get(label="MgAgSn-E-HC2")
    run.save()
    after = table_equals_live(demo_user)
    assert _main_run(after, "MgAgSn-E-HC1") == "HC1-PS-B"  # the old cell
    assert _main_run(after, "MgAgSn-E-HC2") == "HC1-PS-A"  # the new one, first by label


def test_a_run_given_another_protocol_and_a_protocol_another_kind(
    runs: dict[str, m.TestRun], demo_user: Any
) -> None:
    table_equals_live(demo_user)
    rate = m.TestProtocol.objects.get(label="RATE-0.1-1C")
    m.TestRun.objects.filter(pk=runs["HC1-PS-A"].pk).update(protocol=rate)
    assert _main_run(table_equals_live(demo_user), "MgAgSn-E-HC1") == "HC1-PS-B"
    m.TestProtocol.objects.filter(label="PS-1mA-1mAh").update(kind="cv")
    m.TestProtocol.objects.filter(label="RATE-0.1-1C").update(kind="galvanostatic")
    assert _main_run(table_equals_live(demo_user), "MgAgSn-E-HC1") == "HC1-PS-A"


def test_rct_after_n_cycles_follows_the_eis_runs(
    eis_after: dict[int, m.AnalysisResult],  # noqa: F811
    demo_user: Any,
) -> None:
    before = table_equals_live(demo_user)["MgAgSn-E-HC1"].rct_after
    assert sorted(before) == [5, 10] and all(v is not None and v > 0 for v in before.values())
    run = eis_after[10].test_run
    run.after_cycles = 20
    run.save()
    after = table_equals_live(demo_user)["MgAgSn-E-HC1"].rct_after
    assert sorted(after) == [5, 20] and after[20] == before[10]
    m.DataFileRemoval.objects.create(data_file=eis_after[5].job.data_file, reason="mistake")
    assert sorted(table_equals_live(demo_user)["MgAgSn-E-HC1"].rct_after) == [20]


def test_the_cumulative_ce_series_is_the_main_results_cycle_rows(
    runs: dict[str, m.TestRun], demo_user: Any
) -> None:
    table_equals_live(demo_user)
    summary = m.CellSummary.objects.get(cell__label="MgAgSn-E-HC1")
    assert summary.main_result is not None
    rows = dict(
        m.CycleResult.objects.filter(result=summary.main_result, cycle__gte=1).values_list(
            "cycle", "values__cumulative_coulombic_efficiency"
        )
    )
    assert summary.cumulative_ce_by_cycle == [rows[k] for k in range(1, 5)]
    assert summary.cumulative_ce_by_cycle[3] == pytest.approx(0.98**4, rel=1e-3)
    assert cumulative_ce_series([summary.main_result_id]) == {
        summary.main_result_id: summary.cumulative_ce_by_cycle
    }
    mains = [summary.main_result]
    for cycle in (1, 3, 4, 5):
        from_table = sel.cumulative_ce_at(mains, cycle)
        assert from_table == {summary.main_result_id: rows.get(cycle)}


def test_a_run_stays_in_its_cells_project(runs: dict[str, m.TestRun], demo_user: Any) -> None:
    other = m.Project.objects.create(label="other", name="Other lab")
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    with pytest.raises(IntegrityError), transaction.atomic():
        m.TestRun.objects.create(
            project=other, label="x", cell=cell, protocol=runs["HC1-PS-A"].protocol
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        m.TestRun.objects.filter(pk=runs["HC1-PS-A"].pk).update(project=other)
    with pytest.raises(IntegrityError), transaction.atomic():
        m.Cell.objects.filter(pk=cell.pk).update(project=other)
    # a cell without runs may move
    m.Cell.objects.filter(label="Sn-E-HC1").update(project=other)


def test_every_trigger_is_installed(db: Any) -> None:
    assert missing_triggers() == []


def _relabel(runs: dict[str, m.TestRun], user: Any) -> None:
    m.TestRun.objects.filter(pk=runs["HC1-PS-B"].pk).update(label="HC1-PS-0")


def _remove_file(runs: dict[str, m.TestRun], user: Any) -> None:
    data_file = m.DataFile.objects.get(test_run=runs["HC1-PS-A"])
    data_file_remove(data_file=data_file, reason="wrong cell", user=user)


def _protocol_kind(runs: dict[str, m.TestRun], user: Any) -> None:
    m.TestProtocol.objects.filter(label="RATE-0.1-1C").update(kind="galvanostatic")


def _a_on_a_rate_protocol(runs: dict[str, m.TestRun]) -> None:
    rate = m.TestProtocol.objects.get(label="RATE-0.1-1C")
    m.TestRun.objects.filter(pk=runs["HC1-PS-A"].pk).update(protocol=rate)  # B is the main


@pytest.mark.parametrize(
    ("table", "event", "write"),
    [
        ("labdb_testrun", "update", _relabel),
        ("labdb_datafileremoval", "insert", _remove_file),
        ("labdb_testprotocol", "update", _protocol_kind),
    ],
)
def test_verify_names_a_cell_whose_trigger_was_dropped(
    runs: dict[str, m.TestRun], demo_user: Any, table: str, event: str, write: Any
) -> None:
    """What the tests above rely on: without the trigger of a write path the table stays
    behind (the write changes HC1's main result), and ``cell_summaries verify`` says which
    cell and which fields."""
    if write is _protocol_kind:
        _a_on_a_rate_protocol(runs)
    table_equals_live(demo_user)
    call_command("cell_summaries", "verify")
    on = f" ON {table}" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {table}_summary_{event}{on}")
    write(runs, demo_user)
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    [difference] = cell_summaries_verify()
    assert difference.cell_id == cell.pk and "main_result_id" in difference.fields
    with pytest.raises(
        CommandError, match="1 cell summaries differ from the live computation, 1 triggers missing"
    ):
        call_command("cell_summaries", "verify")
    call_command("cell_summaries", "rebuild")
    assert cell_summaries_verify() == []


migration = importlib.import_module("labdb.migrations.0032_cell_summaries")


class _Editor:
    """What the migration's RunPython functions use of a schema editor."""

    connection = connection

    def execute(self, sql: str, params: Any = None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def test_the_migrations_backfill_computes_every_cell(
    runs: dict[str, m.TestRun], demo_user: Any
) -> None:
    m.CellSummary.objects.all().delete()
    m.CellSummaryStale.objects.all().delete()
    assert cell_summaries_verify(refresh=False) != []  # HC1 and HC2 missing
    migration.backfill(django_apps, _Editor())
    assert m.CellSummary.objects.count() == 2
    assert cell_summaries_verify(refresh=False) == []


def test_the_migration_names_runs_outside_their_cells_project(
    runs: dict[str, m.TestRun],
) -> None:
    """Installing the triggers refuses a database where a run is in another project than its
    cell (saved around TestRun.clean), naming the run."""
    _Editor().execute(
        "DROP TRIGGER labdb_testrun_same_project ON labdb_testrun"
        if connection.vendor == "postgresql"
        else "DROP TRIGGER labdb_testrun_same_project_update"
    )
    other = m.Project.objects.create(label="other", name="Other lab")
    m.TestRun.objects.filter(pk=runs["HC2-PS"].pk).update(project=other)
    with pytest.raises(RuntimeError, match="HC2-PS"):
        migration.triggers(django_apps, _Editor())
