"""``python manage.py ingest FILE --test-run LABEL``: register a raw data file and analyse it."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from labdb import models as m
from labdb.selectors.access import lookup_q
from labdb.services.ingest import data_file_register
from labdb.storage import CHUNK_BYTES, BlobTooLarge, ChecksumMismatch


class Command(BaseCommand):
    help = "Register a raw instrument file on a test run and queue its analysis."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--test-run", required=True, help="label or UUID of the test run")
        parser.add_argument("--format", default="", help="reader name (detected when omitted)")
        parser.add_argument("--sha256", default=None, help="expected sha256, verified")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        run = m.TestRun.objects.filter(lookup_q(options["test_run"])).first()
        if run is None:
            raise CommandError(f"no test run {options['test_run']!r}")
        try:
            with path.open("rb") as fh:
                registered = data_file_register(
                    test_run=run,
                    chunks=iter(lambda: fh.read(CHUNK_BYTES), b""),
                    original_name=path.name,
                    user=None,
                    source=m.DataFile.Source.CLI,
                    expected_sha256=options["sha256"],
                    format=options["format"],
                )
        except (ChecksumMismatch, BlobTooLarge) as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        f = registered.data_file
        state = "registered" if registered.created else "already registered"
        self.stdout.write(f"{path.name}: {state} as {f.pk} (sha256 {f.sha256})")
        job = registered.job
        if job is not None:
            job.refresh_from_db()
            line = f"job {job.pk}: {job.kind} {job.status}"
            if job.error:
                line += f": {job.error}"
            self.stdout.write(line)
