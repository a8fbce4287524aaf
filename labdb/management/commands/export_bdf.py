"""``python manage.py export_bdf TEST_RUN -o DIR``: write a test run's canonical table as Battery
Data Format CSV and Parquet with a JSON-LD sidecar (see :mod:`labdb.exports.bdf`)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from labdb import models as m
from labdb.exports.bdf import NoTableError, export_bdf
from labdb.selectors.access import lookup_q


class Command(BaseCommand):
    help = "Export a test run's parsed table as BDF CSV + Parquet with a JSON-LD sidecar."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("test_run", help="label or UUID of the test run")
        parser.add_argument("-o", "--output", required=True, help="folder to write into")

    def handle(self, *args: Any, **options: Any) -> None:
        run = m.TestRun.objects.filter(lookup_q(options["test_run"])).first()
        if run is None:
            raise CommandError(f"no test run has the label or id {options['test_run']!r}")
        try:
            result = export_bdf(run, options["output"])
        except NoTableError as exc:
            raise CommandError(str(exc)) from exc
        for path in (result.csv_path, result.parquet_path, result.sidecar_path):
            self.stdout.write(str(path))
        self.stdout.write(f"{result.rows} rows, columns: {', '.join(result.columns)}")
