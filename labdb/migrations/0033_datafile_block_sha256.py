"""Issue 19: the sha256 of each block of a grown file's content (``DataFile.block_sha256``), so
that the analysis of a version re-hashes only the blocks it reads. Existing files get none and
are verified whole, as before."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("labdb", "0032_cell_summaries"),
    ]

    operations = [
        migrations.AddField(
            model_name="datafile",
            name="block_sha256",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
