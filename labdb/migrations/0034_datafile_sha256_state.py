"""Issue 19: the running sha256's state at the end of each new raw file
(``DataFile.sha256_state``), so that an append hashes only its new bytes. Existing files get
none: the first append to one re-hashes it whole, as before, and saves the state."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("labdb", "0033_datafile_block_sha256"),
    ]

    operations = [
        migrations.AddField(
            model_name="datafile",
            name="sha256_state",
            field=models.BinaryField(blank=True, editable=False, null=True),
        ),
    ]
