"""Growing data (issue 19): a file has at most one next version, and a job can end
"superseded" (a newer version of the same file was analysed instead).

- ``datafile_one_next_version``: unique ``extends`` (when set), so the versions of a growing
  file form a chain and two uploads racing to extend one file cannot both do so
  (:mod:`labdb.services.ingest`). A database that already holds such a fork cannot take the
  constraint: the check before it names the files (data files are immutable: a person decides).
- ``superseded`` is a finished state: on PostgreSQL the triggers of 0005 (no UPDATE of a
  finished job) and 0014 (no new result rows for a finished job) are redefined to include it.
"""

from importlib import import_module

from django.db import migrations, models
from django.db.models import Count

_0014 = import_module("labdb.migrations.0014_finished_results_and_truncate_refused")
_run = import_module("labdb.migrations.0005_immutable_triggers")._run

FINISHED = "('succeeded', 'failed', 'superseded')"
BEFORE = "('succeeded', 'failed')"


def _job_change_function(states: str) -> str:
    return f"""
    CREATE OR REPLACE FUNCTION labdb_refuse_finished_job_change() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'labdb: DELETE on labdb_analysisjob refused: jobs are never deleted'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF OLD.status IN {states} THEN
        RAISE EXCEPTION 'labdb: UPDATE of a finished analysis job refused'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """


def _functions(states: str) -> list[str]:
    return [
        _job_change_function(states),
        *[
            _0014._insert_function(column).replace(BEFORE, states)
            for column in ("job_id", "result_id")
        ],
    ]


def _no_forks(apps, schema_editor):  # type: ignore[no-untyped-def]
    DataFile = apps.get_model("labdb", "DataFile")
    forks = (
        DataFile.objects.filter(extends__isnull=False)
        .values("extends")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    bases = [str(f["extends"]) for f in forks[:10]]
    if bases:
        raise RuntimeError(
            f"data file(s) {', '.join(bases)} have more than one next version "
            "(DataFile.extends); the chain constraint cannot be added until a person decides "
            "which version continues each of them"
        )


class Migration(migrations.Migration):
    dependencies = [("labdb", "0022_merge_issues_14_to_22")]

    operations = [
        migrations.AlterField(
            model_name="analysisjob",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "queued"),
                    ("running", "running"),
                    ("succeeded", "succeeded"),
                    ("failed", "failed"),
                    ("superseded", "superseded"),
                ],
                db_index=True,
                default="queued",
                max_length=20,
            ),
        ),
        migrations.RunPython(_no_forks, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="datafile",
            constraint=models.UniqueConstraint(
                condition=models.Q(("extends__isnull", False)),
                fields=("extends",),
                name="datafile_one_next_version",
            ),
        ),
        migrations.RunPython(_run(_functions(FINISHED)), _run(_functions(BEFORE))),
    ]
