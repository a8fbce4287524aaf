"""On PostgreSQL, refuse UPDATE and DELETE of immutable records from any client (raw SQL
included): raw files, parsed tables, analysis results, cycle rows and the history; a finished
analysis job can no longer change. TRUNCATE (used by test-database flushes) is not affected."""

from django.db import migrations

IMMUTABLE_TABLES = [
    "labdb_datafile",
    "labdb_parsedtable",
    "labdb_analysisresult",
    "labdb_cycleresult",
    "labdb_historyentry",
]

FORWARD = [
    """
    CREATE OR REPLACE FUNCTION labdb_refuse_change() RETURNS trigger AS $$
    BEGIN
      RAISE EXCEPTION 'labdb: % on % refused: the record is immutable', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE OR REPLACE FUNCTION labdb_refuse_finished_job_change() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'labdb: DELETE on labdb_analysisjob refused: jobs are never deleted'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF OLD.status IN ('succeeded', 'failed') THEN
        RAISE EXCEPTION 'labdb: UPDATE of a finished analysis job refused'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    *[
        f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION labdb_refuse_change();"
        for table in IMMUTABLE_TABLES
    ],
    "CREATE TRIGGER labdb_analysisjob_finished BEFORE UPDATE OR DELETE ON labdb_analysisjob "
    "FOR EACH ROW EXECUTE FUNCTION labdb_refuse_finished_job_change();",
]

BACKWARD = [
    *[f"DROP TRIGGER IF EXISTS {table}_immutable ON {table};" for table in IMMUTABLE_TABLES],
    "DROP TRIGGER IF EXISTS labdb_analysisjob_finished ON labdb_analysisjob;",
    "DROP FUNCTION IF EXISTS labdb_refuse_change();",
    "DROP FUNCTION IF EXISTS labdb_refuse_finished_job_change();",
]


def _run(statements):  # type: ignore[no-untyped-def]
    def apply(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return  # other databases rely on the ORM guards (labdb.models.immutable)
        for sql in statements:
            schema_editor.execute(sql, None)  # no parameters: "%" is plpgsql here

    return apply


class Migration(migrations.Migration):
    dependencies = [("labdb", "0004_job_inputs_and_outputs")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
