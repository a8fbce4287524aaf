"""Issue 22: an analysis job names the reader it reads its file with (part of its idempotency
key, so choosing another reader always gives a new parse and analysis), and a saved
comparison pins the acceptances of implausible values standing when it was saved.

Queued and running jobs get the reader they would have used (the newest FormatChoice, else the
format named at upload); finished jobs are immutable and keep "" (their parsed table names the
reader they used)."""

from django.conf import settings
from django.db import migrations, models


def stamp_unfinished_jobs(apps, schema_editor):  # type: ignore[no-untyped-def]
    job_model = apps.get_model("labdb", "AnalysisJob")
    choice_model = apps.get_model("labdb", "FormatChoice")
    for job in job_model.objects.filter(status__in=["queued", "running"]).select_related(
        "data_file"
    ):
        choice = (
            choice_model.objects.filter(data_file_id=job.data_file_id)
            .order_by("-chosen_at", "-id")
            .first()
        )
        reader = choice.format if choice is not None else job.data_file.format
        job_model.objects.filter(pk=job.pk).update(reader=reader or "")


class Migration(migrations.Migration):
    dependencies = [
        ("labdb", "0022_merge_issues_14_to_22"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="analysisjob",
            name="job_idempotent",
        ),
        migrations.AddField(
            model_name="analysisjob",
            name="reader",
            field=models.CharField(blank=True, default="", max_length=40),
        ),
        migrations.AddField(
            model_name="savedcomparison",
            name="acceptances",
            field=models.ManyToManyField(blank=True, related_name="+", to="labdb.flagacceptance"),
        ),
        migrations.AddConstraint(
            model_name="analysisjob",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "failed"), _negated=True),
                fields=("data_file", "kind", "analysis_version", "parameters_sha256", "reader"),
                name="job_idempotent_per_reader",
            ),
        ),
        migrations.RunPython(stamp_unfinished_jobs, migrations.RunPython.noop),
    ]
