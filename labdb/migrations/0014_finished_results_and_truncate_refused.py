"""On PostgreSQL, close the immutability gaps left by ``0005``:

- INSERT of a new row into the result of a finished analysis job is refused (the result itself,
  its cycles, spectra and tables): a statement-level trigger reads the inserted rows and refuses
  the statement when any of their jobs has succeeded or failed. The worker writes a result while
  its job is still running and marks it succeeded in the same transaction, so it is not hit.
- TRUNCATE of an immutable table (and of the jobs) is refused by a BEFORE TRUNCATE trigger,
  unless the session said ``SET labdb.allow_truncate = 'on'`` (the test suite's flush between
  tests does; the app's role has no TRUNCATE privilege at all, see :mod:`labdb.db_roles`).
- Every immutability trigger fires ALWAYS, so ``session_replication_role = replica`` no longer
  switches them off.

``ALTER TABLE ... DISABLE TRIGGER`` and ``DROP TRIGGER`` need the table's owner: the app runs as
a role that owns nothing (docs/security.md). Other databases rely on the ORM guards
(:mod:`labdb.models.immutable`).
"""

from importlib import import_module

from django.db import migrations

#: (table, its UPDATE/DELETE trigger from 0005/0007/0010)
ROW_TRIGGERS = [
    ("labdb_datafile", "labdb_datafile_immutable"),
    ("labdb_parsedtable", "labdb_parsedtable_immutable"),
    ("labdb_analysisresult", "labdb_analysisresult_immutable"),
    ("labdb_cycleresult", "labdb_cycleresult_immutable"),
    ("labdb_historyentry", "labdb_historyentry_immutable"),
    ("labdb_eisspectrumfit", "labdb_eisspectrumfit_immutable"),
    ("labdb_resulttable", "labdb_resulttable_immutable"),
    ("labdb_analysisjob", "labdb_analysisjob_finished"),
]
NO_TRUNCATE_TABLES = [table for table, _ in ROW_TRIGGERS]
#: (table, the column holding the job's id: an analysis result's primary key is its job)
RESULT_ROWS = [
    ("labdb_analysisresult", "job_id"),
    ("labdb_cycleresult", "result_id"),
    ("labdb_eisspectrumfit", "result_id"),
    ("labdb_resulttable", "result_id"),
]


def _insert_function(column: str) -> str:
    return f"""
    CREATE OR REPLACE FUNCTION labdb_refuse_rows_of_finished_job_{column}() RETURNS trigger AS $$
    BEGIN
      IF EXISTS (
        SELECT 1 FROM labdb_new_rows r JOIN labdb_analysisjob j ON j.id = r.{column}
        WHERE j.status IN ('succeeded', 'failed')
      ) THEN
        RAISE EXCEPTION 'labdb: INSERT on % refused: the analysis job of this result has finished',
          TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;
    """  # nosec B608  # the column name is one of RESULT_ROWS, from code


FORWARD = [
    _insert_function("job_id"),
    _insert_function("result_id"),
    """
    CREATE OR REPLACE FUNCTION labdb_refuse_truncate() RETURNS trigger AS $$
    BEGIN
      IF coalesce(current_setting('labdb.allow_truncate', true), '') <> 'on' THEN
        RAISE EXCEPTION 'labdb: TRUNCATE of % refused: the records are immutable', TG_TABLE_NAME
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;
    """,
    *[
        f"CREATE TRIGGER {table}_finished_insert AFTER INSERT ON {table} "
        "REFERENCING NEW TABLE AS labdb_new_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION labdb_refuse_rows_of_finished_job_{column}();"
        for table, column in RESULT_ROWS
    ],
    *[
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION labdb_refuse_truncate();"
        for table in NO_TRUNCATE_TABLES
    ],
    *[f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {trigger};" for table, trigger in ROW_TRIGGERS],
    *[
        f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate;"
        for table in NO_TRUNCATE_TABLES
    ],
    *[
        f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_finished_insert;"
        for table, _ in RESULT_ROWS
    ],
]

BACKWARD = [
    *[f"ALTER TABLE {table} ENABLE TRIGGER {trigger};" for table, trigger in ROW_TRIGGERS],
    *[f"DROP TRIGGER IF EXISTS {table}_finished_insert ON {table};" for table, _ in RESULT_ROWS],
    *[f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};" for table in NO_TRUNCATE_TABLES],
    "DROP FUNCTION IF EXISTS labdb_refuse_truncate();",
    "DROP FUNCTION IF EXISTS labdb_refuse_rows_of_finished_job_job_id();",
    "DROP FUNCTION IF EXISTS labdb_refuse_rows_of_finished_job_result_id();",
]


#: PostgreSQL only (other databases rely on the ORM guards), as in 0005
_run = import_module("labdb.migrations.0005_immutable_triggers")._run


class Migration(migrations.Migration):
    dependencies = [("labdb", "0013_failed_jobs_do_not_block_a_new_attempt")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
