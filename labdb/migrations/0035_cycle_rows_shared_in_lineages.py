"""Issue 19: the per-cycle rows of the versions of a growing file are shared between their
results (labdb.models.cycle_rows): a result writes only the rows that differ from its
predecessor's. Results and rows stored before get no lineage and keep their own rows.

On SQLite, Django adds a NOT NULL column or a foreign key by rebuilding the table (a copy,
then the old table dropped and the copy renamed), which the cell-summary triggers of other
tables refuse while they name it (migration 0032). So on SQLite those triggers are dropped
before the change and created again after it, both ways; the data are not changed meanwhile
(nothing to mark stale). PostgreSQL adds and drops the columns in place.
"""

from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

_summaries = import_module("labdb.migrations.0032_cell_summaries")


def _on_sqlite(run):
    """``run`` (0032's ``triggers`` or ``drop_triggers``) on SQLite only."""

    def sqlite_only(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            run(apps, schema_editor)

    return sqlite_only


class Migration(migrations.Migration):
    dependencies = [
        ("labdb", "0034_datafile_sha256_state"),
    ]

    operations = [
        migrations.RunPython(_on_sqlite(_summaries.drop_triggers), _on_sqlite(_summaries.triggers)),
        migrations.AddField(
            model_name="analysisresult",
            name="cycles_lineage",
            field=models.ForeignKey(
                blank=True,
                null=True,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="labdb.analysisresult",
            ),
        ),
        migrations.AddField(
            model_name="analysisresult",
            name="cycles_seq",
            field=models.IntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="cycleresult",
            name="absent",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name="cycleresult",
            name="lineage",
            field=models.ForeignKey(
                blank=True,
                null=True,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="labdb.analysisresult",
            ),
        ),
        migrations.AddField(
            model_name="cycleresult",
            name="since",
            field=models.IntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="cycleresult",
            name="result",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="written_cycles",
                to="labdb.analysisresult",
            ),
        ),
        migrations.AddConstraint(
            model_name="analysisresult",
            constraint=models.UniqueConstraint(
                condition=models.Q(("cycles_lineage__isnull", False)),
                fields=("cycles_lineage", "cycles_seq"),
                name="result_one_per_lineage_place",
            ),
        ),
        migrations.AddConstraint(
            model_name="cycleresult",
            constraint=models.UniqueConstraint(
                condition=models.Q(("lineage__isnull", False)),
                fields=("lineage", "cycle", "since"),
                name="cycle_unique_per_lineage_place",
            ),
        ),
        migrations.RunPython(_on_sqlite(_summaries.triggers), _on_sqlite(_summaries.drop_triggers)),
    ]
