"""Issue 22: read as A, then B, then A again makes A's reading current again. The third request
is a new analysis job, so its idempotency key gets ``repeat`` (0 for the first job of an
analysis and reader on a file, n + 1 for the same reading asked for again after another reading
had become the run's current result). Existing jobs keep 0."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("labdb", "0027_merge_session6"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="analysisjob",
            name="job_idempotent_per_reader",
        ),
        migrations.AddField(
            model_name="analysisjob",
            name="repeat",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddConstraint(
            model_name="analysisjob",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "failed"), _negated=True),
                fields=(
                    "data_file",
                    "kind",
                    "analysis_version",
                    "parameters_sha256",
                    "reader",
                    "repeat",
                ),
                name="job_idempotent_per_reading",
            ),
        ),
    ]
