"""A mixed file (BioLogic DC cycling + PEIS/GEIS loops) keeps one parsed table per kind; EIS
spectrum fits gain the in-situ position of the spectrum and filterable columns for the fit's
success, the RSEI/RCT assignment status and the inductance, filled for existing rows from the
physical result they already store (``details``: ``reliable``, ``assignment.status``,
``inductance_h``). The rows stay immutable: the PostgreSQL trigger (0007) is lifted only for
this fill, inside the migration's transaction."""

from django.db import migrations, models

TABLE = "labdb_eisspectrumfit"
TRIGGER = f"{TABLE}_immutable"


def _fill_from_details(apps, schema_editor):  # type: ignore[no-untyped-def]
    fit_model = apps.get_model("labdb", "EISSpectrumFit")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER};", None)
    batch = []
    for row in fit_model.objects.all().only("pk", "details").iterator(chunk_size=2000):
        details = row.details or {}
        assignment = details.get("assignment")
        reliable = details.get("reliable")
        row.fit_success = reliable if isinstance(reliable, bool) else None
        row.assignment_status = (
            str(assignment.get("status") or "") if isinstance(assignment, dict) else ""
        )
        inductance = details.get("inductance_h")
        row.inductance_h = float(inductance) if isinstance(inductance, int | float) else None
        batch.append(row)
        if len(batch) >= 2000:
            fit_model.objects.bulk_update(
                batch, ["fit_success", "assignment_status", "inductance_h"]
            )
            batch = []
    if batch:
        fit_model.objects.bulk_update(batch, ["fit_success", "assignment_status", "inductance_h"])
    if postgres:
        schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER};", None)


class Migration(migrations.Migration):
    dependencies = [
        ("labdb", "0013_failed_jobs_do_not_block_a_new_attempt"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="parsedtable",
            name="table_unique_per_parser",
        ),
        migrations.AddField(
            model_name="eisspectrumfit",
            name="assignment_status",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="eisspectrumfit",
            name="fit_success",
            field=models.BooleanField(null=True),
        ),
        migrations.AddField(
            model_name="eisspectrumfit",
            name="half_cycle",
            field=models.IntegerField(null=True),
        ),
        migrations.AddField(
            model_name="eisspectrumfit",
            name="half_cycle_charge_ah",
            field=models.FloatField(null=True),
        ),
        migrations.AddField(
            model_name="eisspectrumfit",
            name="inductance_h",
            field=models.FloatField(null=True),
        ),
        migrations.AddField(
            model_name="eisspectrumfit",
            name="state",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="eisspectrumfit",
            name="voltage_volt",
            field=models.FloatField(null=True),
        ),
        migrations.AddConstraint(
            model_name="parsedtable",
            constraint=models.UniqueConstraint(
                fields=("data_file", "parser", "parser_version", "kind"),
                name="table_unique_per_parser_and_kind",
            ),
        ),
        # the new columns are derived from each row's own details: nothing to undo but them
        migrations.RunPython(_fill_from_details, migrations.RunPython.noop),
    ]
