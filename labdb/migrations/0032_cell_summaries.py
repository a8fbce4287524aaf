"""Each cell's summary in a table (``CellSummary``), kept in step by triggers, on PostgreSQL and
SQLite alike (labdb.models.summaries says why triggers):

- every write that can change a cell's summary marks the cell stale (``CellSummaryStale``) in
  its own transaction; the app recomputes stale cells before reading the table
  (labdb.services.cell_summaries). The inputs and their triggers (:data:`MARKS`): results
  (stored, superseded by a newer one; updated or deleted, which their own triggers refuse
  anyway), their cycle rows and EIS fits, a file's removal (every result of its jobs), a job
  whose file changes, a test run (label, cell: old and new, protocol, after_cycles, project),
  a protocol's kind. PostgreSQL: one statement-level trigger per table and event reading the
  transition tables (a COPY of a million cycle rows marks its cells in one INSERT); SQLite:
  row-level triggers.
- a test run on a cell is in the cell's project (``TestRun.clean`` asked it; now the database
  refuses anything else, :data:`SAME_PROJECT`): the summary is the same for every user who
  sees the cell only because of it.
- the backfill marks every cell with a test run stale, then computes them all (one query for
  the lot: about a second for a decade, bench/scale.py).
"""

import django.db.models.deletion
from django.db import DatabaseError, migrations, models, transaction

STALE = "labdb_cellsummarystale"

#: table -> (key column of the written row, the cells a row with that key touches, as SQL with
#: ``{k}``: "= NEW.key" on SQLite, "IN (SELECT key FROM <transition table>)" on PostgreSQL)
MARKS = {
    "labdb_analysisresult": (
        "test_run_id",
        "SELECT t.cell_id FROM labdb_testrun t WHERE t.id {k} AND t.cell_id IS NOT NULL",
    ),
    "labdb_cycleresult": (
        "result_id",
        "SELECT t.cell_id FROM labdb_analysisresult a JOIN labdb_testrun t ON t.id = a.test_run_id"
        " WHERE a.job_id {k} AND t.cell_id IS NOT NULL",
    ),
    "labdb_eisspectrumfit": (
        "result_id",
        "SELECT t.cell_id FROM labdb_analysisresult a JOIN labdb_testrun t ON t.id = a.test_run_id"
        " WHERE a.job_id {k} AND t.cell_id IS NOT NULL",
    ),
    "labdb_datafileremoval": (
        "data_file_id",
        "SELECT t.cell_id FROM labdb_analysisjob j JOIN labdb_analysisresult a ON a.job_id = j.id"
        " JOIN labdb_testrun t ON t.id = a.test_run_id WHERE j.data_file_id {k}"
        " AND t.cell_id IS NOT NULL",
    ),
    "labdb_analysisjob": (
        "id",
        "SELECT t.cell_id FROM labdb_analysisresult a JOIN labdb_testrun t ON t.id = a.test_run_id"
        " WHERE a.job_id {k} AND t.cell_id IS NOT NULL",
    ),
    "labdb_testrun": ("cell_id", "SELECT c.id FROM labdb_cell c WHERE c.id {k}"),
    "labdb_testprotocol": (
        "id",
        "SELECT t.cell_id FROM labdb_testrun t WHERE t.protocol_id {k} AND t.cell_id IS NOT NULL",
    ),
}
#: the events that can change a summary, per table (a job or run inserted has no result yet;
#: a protocol only by its kind)
EVENTS = {
    "labdb_analysisjob": ("UPDATE",),
    "labdb_testrun": ("UPDATE", "DELETE"),
    "labdb_testprotocol": ("UPDATE",),
}
ALL_EVENTS = ("INSERT", "UPDATE", "DELETE")
SAME_PROJECT = "labdb: a test run on a cell must be in the cell's project"


def _events(table):
    return EVENTS.get(table, ALL_EVENTS)


def _pg_statements():
    out = []
    for table, (key, cells) in MARKS.items():
        for event in _events(table):
            rows = {"INSERT": ["new_rows"], "DELETE": ["old_rows"]}.get(
                event, ["old_rows", "new_rows"]
            )
            if table == "labdb_testprotocol":  # only a change of kind
                inserts = [
                    f"INSERT INTO {STALE} (cell_id) "
                    + cells.format(
                        k="IN (SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id"
                        " WHERE n.kind IS DISTINCT FROM o.kind)"
                    )
                    + " ON CONFLICT DO NOTHING;"
                ]
            else:
                inserts = [
                    f"INSERT INTO {STALE} (cell_id) "
                    + cells.format(k=f"IN (SELECT {key} FROM {r})")  # nosec B608: table and column names are this module's constants, no input
                    + " ON CONFLICT DO NOTHING;"
                    for r in rows
                ]
            name = f"{table}_summary_{event.lower()}"
            body = "\n      ".join(inserts)
            out.append(
                f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
    BEGIN
      {body}
      RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;"""
            )
            refs = " ".join(
                f"{'NEW' if r == 'new_rows' else 'OLD'} TABLE AS {r}" for r in reversed(rows)
            )
            out.append(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {refs} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}();"
            )
            # fires whatever session_replication_role says, as the immutability triggers do
            out.append(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name};")
    out += [
        f"""CREATE OR REPLACE FUNCTION labdb_testrun_same_project() RETURNS trigger AS $$
    BEGIN
      IF NEW.cell_id IS NOT NULL AND NEW.project_id IS DISTINCT FROM
         (SELECT project_id FROM labdb_cell WHERE id = NEW.cell_id) THEN
        RAISE EXCEPTION '{SAME_PROJECT.replace("'", "''")}' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;""",  # nosec B608: DDL from this module's constants, no input
        "CREATE TRIGGER labdb_testrun_same_project BEFORE INSERT OR UPDATE ON labdb_testrun "
        "FOR EACH ROW EXECUTE FUNCTION labdb_testrun_same_project();",
        f"""CREATE OR REPLACE FUNCTION labdb_cell_same_project() RETURNS trigger AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM labdb_testrun t WHERE t.cell_id = NEW.id
                 AND t.project_id IS DISTINCT FROM NEW.project_id) THEN
        RAISE EXCEPTION '{SAME_PROJECT.replace("'", "''")}' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;""",  # nosec B608: DDL from this module's constants, no input
        "CREATE TRIGGER labdb_cell_same_project BEFORE UPDATE OF project_id ON labdb_cell "
        "FOR EACH ROW EXECUTE FUNCTION labdb_cell_same_project();",
        "ALTER TABLE labdb_testrun ENABLE ALWAYS TRIGGER labdb_testrun_same_project;",
        "ALTER TABLE labdb_cell ENABLE ALWAYS TRIGGER labdb_cell_same_project;",
    ]
    return out


def _pg_backward():
    out = []
    for table in MARKS:
        for event in _events(table):
            name = f"{table}_summary_{event.lower()}"
            out += [
                f"DROP TRIGGER IF EXISTS {name} ON {table};",
                f"DROP FUNCTION IF EXISTS {name}();",
            ]
    return [
        *out,
        "DROP TRIGGER IF EXISTS labdb_testrun_same_project ON labdb_testrun;",
        "DROP FUNCTION IF EXISTS labdb_testrun_same_project();",
        "DROP TRIGGER IF EXISTS labdb_cell_same_project ON labdb_cell;",
        "DROP FUNCTION IF EXISTS labdb_cell_same_project();",
    ]


def _sqlite_statements():
    out = []
    for table, (key, cells) in MARKS.items():
        for event in _events(table):
            rows = {"INSERT": ["NEW"], "DELETE": ["OLD"]}.get(event, ["OLD", "NEW"])
            when = " WHEN OLD.kind IS NOT NEW.kind" if table == "labdb_testprotocol" else ""
            inserts = " ".join(
                f"INSERT OR IGNORE INTO {STALE} (cell_id) {cells.format(k=f'= {r}.{key}')};"
                for r in rows
            )
            out.append(
                f"CREATE TRIGGER {table}_summary_{event.lower()} AFTER {event} ON {table}"
                f"{when} BEGIN {inserts} END;"
            )
    refuse = f"BEGIN SELECT RAISE(ABORT, '{SAME_PROJECT.replace(chr(39), chr(39) * 2)}'); END;"
    run_differs = (
        "NEW.cell_id IS NOT NULL AND NEW.project_id IS NOT "
        "(SELECT project_id FROM labdb_cell WHERE id = NEW.cell_id)"
    )
    out += [
        f"CREATE TRIGGER labdb_testrun_same_project_insert BEFORE INSERT ON labdb_testrun "
        f"WHEN {run_differs} {refuse}",
        f"CREATE TRIGGER labdb_testrun_same_project_update BEFORE UPDATE ON labdb_testrun "
        f"WHEN {run_differs} {refuse}",
        "CREATE TRIGGER labdb_cell_same_project BEFORE UPDATE OF project_id ON labdb_cell "  # nosec B608: table and column names are this module's constants, no input
        "WHEN EXISTS (SELECT 1 FROM labdb_testrun t WHERE t.cell_id = NEW.id "
        f"AND t.project_id IS NOT NEW.project_id) {refuse}",
    ]
    return out


def _sqlite_backward():
    out = []
    for table in MARKS:
        for event in _events(table):
            out.append(f"DROP TRIGGER IF EXISTS {table}_summary_{event.lower()};")
    return [
        *out,
        "DROP TRIGGER IF EXISTS labdb_testrun_same_project_insert;",
        "DROP TRIGGER IF EXISTS labdb_testrun_same_project_update;",
        "DROP TRIGGER IF EXISTS labdb_cell_same_project;",
    ]


def trigger_names(vendor):
    """The names of the triggers this migration installs on ``vendor``."""
    marks = [f"{t}_summary_{e.lower()}" for t in MARKS for e in _events(t)]
    if vendor == "postgresql":
        return [*marks, "labdb_testrun_same_project", "labdb_cell_same_project"]
    return [
        *marks,
        "labdb_testrun_same_project_insert",
        "labdb_testrun_same_project_update",
        "labdb_cell_same_project",
    ]


def statements(vendor, forward=True):
    """The trigger DDL of ``vendor`` ('postgresql' or 'sqlite')."""
    if vendor == "postgresql":
        return _pg_statements() if forward else _pg_backward()
    if vendor == "sqlite":
        return _sqlite_statements() if forward else _sqlite_backward()
    raise NotImplementedError(f"cell summaries: no triggers for {vendor}")


def triggers(apps, schema_editor):
    conn = schema_editor.connection
    TestRun = apps.get_model("labdb", "TestRun")
    wrong = TestRun.objects.filter(cell__isnull=False).exclude(project=models.F("cell__project"))
    if wrong.exists():
        labels = ", ".join(wrong.values_list("label", flat=True)[:20])
        raise RuntimeError(f"{SAME_PROJECT}: move these runs (or their cells) first: {labels}")
    for sql in statements(conn.vendor):
        schema_editor.execute(sql, None)  # no parameters: "%" is plpgsql here


def drop_triggers(apps, schema_editor):
    for sql in statements(schema_editor.connection.vendor, forward=False):
        schema_editor.execute(sql, None)


def backfill(apps, schema_editor):
    """Every cell with a test run marked stale, then computed by the app's refresh (which
    runs the live query of labdb.selectors.cell_summary). The app's code reads the models
    as they are now: where a later migration adds a column it reads (0035), the call fails
    here, in a savepoint, and the marks alone are enough: the first read computes them."""
    schema_editor.execute(
        f"INSERT INTO {STALE} (cell_id) SELECT DISTINCT cell_id FROM labdb_testrun"  # nosec B608: constants, no input
        " WHERE cell_id IS NOT NULL",
        None,
    )
    from labdb.services.cell_summaries import cell_summaries_refresh

    try:
        with transaction.atomic():
            cell_summaries_refresh()
    except DatabaseError:
        pass  # the cells stay marked stale


class Migration(migrations.Migration):
    dependencies = [
        ("labdb", "0031_merge_session7"),
    ]

    operations = [
        migrations.CreateModel(
            name="CellSummaryStale",
            fields=[
                ("cell_id", models.UUIDField(primary_key=True, serialize=False)),
            ],
        ),
        migrations.CreateModel(
            name="CellSummary",
            fields=[
                (
                    "cell",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="summary",
                        serialize=False,
                        to="labdb.cell",
                    ),
                ),
                ("cycle_count", models.IntegerField(blank=True, null=True)),
                ("initial_coulombic_efficiency", models.FloatField(blank=True, null=True)),
                ("average_coulombic_efficiency", models.FloatField(blank=True, null=True)),
                ("cumulative_coulombic_efficiency", models.FloatField(blank=True, null=True)),
                ("capacity_retention", models.FloatField(blank=True, null=True)),
                ("short_circuit_cycle", models.IntegerField(blank=True, null=True)),
                ("cycle_life", models.IntegerField(blank=True, null=True)),
                ("total_time_h", models.FloatField(blank=True, null=True)),
                ("formation_ice", models.FloatField(blank=True, null=True)),
                ("rct_after", models.JSONField(blank=True, default=dict)),
                ("cumulative_ce_by_cycle", models.JSONField(blank=True, null=True)),
                (
                    "main_result",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="labdb.analysisresult",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "cell summaries",
            },
        ),
        migrations.RunPython(triggers, drop_triggers),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
