"""Immutability gaps (issue 17 point 13): no rows added to a finished result (ORM everywhere;
raw SQL on PostgreSQL), no TRUNCATE, and the app's role cannot switch the triggers off
(DISABLE TRIGGER, DROP TRIGGER, session_replication_role) because it owns nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from labdb import models as m
from labdb.db_roles import ROLE_PROBLEMS_SQL, app_role_statements
from labdb.models import ImmutableRecordError
from tests.labdb.test_integrity import analysed

__all__ = ["analysed"]

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="triggers and roles are PostgreSQL's"
)


def _cycle_row(job: m.AnalysisJob, cycle: int) -> m.CycleResult:
    return m.CycleResult(result_id=job.pk, cycle=cycle, coulombic_efficiency=1.0)


@pytest.mark.django_db(transaction=True)
def test_orm_refuses_new_rows_in_a_finished_result(analysed: m.AnalysisJob) -> None:
    result = analysed.result
    with pytest.raises(ImmutableRecordError, match="finished analysis job"):
        _cycle_row(analysed, 99).save()
    with pytest.raises(ImmutableRecordError, match="finished analysis job"):
        m.CycleResult.objects.bulk_create([_cycle_row(analysed, 98)])
    with pytest.raises(ImmutableRecordError, match="finished analysis job"):
        m.ResultTable.objects.create(result=result, name="extra", sha256="0" * 64, rows=0)
    with pytest.raises(ImmutableRecordError, match="finished analysis job"):
        m.EISSpectrumFit.objects.create(result=result, spectrum=7, circuit="R0")
    assert m.CycleResult.objects.filter(result=result).count() == 3
    assert not m.ResultTable.objects.filter(result=result, name="extra").exists()


@pytest.mark.django_db(transaction=True)
def test_orm_adds_rows_while_the_job_runs(analysed: m.AnalysisJob) -> None:
    """The guard is about finished jobs only: a running job's result takes its rows."""
    running = m.AnalysisJob.objects.create(
        project=analysed.project,
        data_file=analysed.data_file,
        kind="cycling",
        parameters={"other": 1},
        parameters_sha256="1" * 64,
        analysis_version="test",
        status="running",
    )
    m.AnalysisResult.objects.create(job=running, test_run=analysed.test_run, kind="cycling")
    m.CycleResult.objects.bulk_create([_cycle_row(running, 1), _cycle_row(running, 2)])
    assert m.CycleResult.objects.filter(result_id=running.pk).count() == 2


def _refused(sql: str, params: list[Any] | None = None) -> None:
    with (
        pytest.raises(DatabaseError, match="refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_sql_insert_into_a_finished_result_and_truncate_are_refused(
    analysed: m.AnalysisJob,
) -> None:
    job = str(analysed.pk)
    _refused(
        "INSERT INTO labdb_cycleresult (result_id, cycle, values) VALUES (%s, 99, '{}')", [job]
    )
    _refused(
        "INSERT INTO labdb_resulttable (result_id, name, sha256, rows, columns) "
        "VALUES (%s, 'extra', %s, 0, '[]')",
        [job, "0" * 64],
    )
    _refused(
        "INSERT INTO labdb_eisspectrumfit (result_id, spectrum, circuit, parameters, "
        "standard_errors, model_reason, kk, details, drt, curve, state, assignment_status) "
        "VALUES (%s, 1, 'R0', '{}', '{}', '', '{}', '{}', '{}', '{}', '', '')",
        [job],
    )
    # the suite's flush sets labdb.allow_truncate; a session that did not is refused
    for table in ("labdb_cycleresult", "labdb_datafile", "labdb_historyentry"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL labdb.allow_truncate = 'off'")
            with (
                pytest.raises(DatabaseError, match=r"TRUNCATE of .* refused"),
                transaction.atomic(),
            ):
                cursor.execute(f"TRUNCATE {table} CASCADE")
    # even a superuser in replica mode (which switches ordinary triggers off) is refused
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        with pytest.raises(DatabaseError, match="refused"), transaction.atomic():
            cursor.execute("DELETE FROM labdb_cycleresult")
    assert m.CycleResult.objects.filter(result=analysed.result).count() == 3


@pytest.fixture
def app_role(db: Any) -> Iterator[str]:
    """A throw-away app role on the test database with exactly the documented rights (the
    tables belong to the test run's superuser, which stands for the owner role)."""
    name = f"labdb_app_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database()")
        owner, database = cursor.fetchone()
        for s in app_role_statements(name, owner=owner, database=database, create=True):
            cursor.execute(s.sql, list(s.params) or None)
    try:
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {name}")
            cursor.execute(f"DROP ROLE {name}")


def _as(role: str) -> Any:
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        dbname=s["NAME"],
        user=role,
        password=s["PASSWORD"] or None,  # trust on 127.0.0.1 here; the role has none
        autocommit=True,
    )


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_app_role_cannot_bypass_the_triggers(analysed: m.AnalysisJob, app_role: str) -> None:
    import psycopg

    job = str(analysed.pk)
    with _as(app_role) as app:
        # it works as the app: reads and writes rows
        assert app.execute("SELECT count(*) FROM labdb_cycleresult").fetchone() == (3,)
        app.execute("UPDATE labdb_project SET description = description")
        assert app.execute(ROLE_PROBLEMS_SQL).fetchall() == []
        # the triggers refuse what they refuse
        for sql, params in (
            (
                "INSERT INTO labdb_cycleresult (result_id, cycle, values) VALUES (%s, 99, '{}')",
                [job],
            ),
            ("DELETE FROM labdb_cycleresult", None),
            ("UPDATE labdb_datafile SET original_name = 'x'", None),
        ):
            with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="refused"):
                app.execute(sql, params)
        # and every way of switching them off needs an owner or a superuser
        for sql in (
            "TRUNCATE labdb_cycleresult",
            "TRUNCATE labdb_historyentry CASCADE",
            "ALTER TABLE labdb_cycleresult DISABLE TRIGGER ALL",
            "ALTER TABLE labdb_cycleresult DISABLE TRIGGER labdb_cycleresult_immutable",
            "DROP TRIGGER labdb_cycleresult_immutable ON labdb_cycleresult",
            "DROP TABLE labdb_cycleresult CASCADE",
            "SET session_replication_role = replica",
            "CREATE TABLE labdb_evil (id int)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(sql)
    assert m.CycleResult.objects.filter(result=analysed.result).count() == 3
    with connection.cursor() as cursor:  # the owner still has every trigger, enabled always
        cursor.execute(
            "SELECT tgenabled FROM pg_trigger WHERE tgrelid = 'labdb_cycleresult'::regclass "
            "AND NOT tgisinternal"
        )
        enabled = [state for (state,) in cursor.fetchall()]
    # three that refuse changes, three that mark the cell summaries stale (migration 0032)
    assert enabled == ["A"] * 6
