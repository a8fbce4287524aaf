"""``python manage.py export_crate LABEL -o FILE.eln``: write the RO-Crate (``.eln``) of a cell
or a whole project (see :mod:`labdb.exports.crate`)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from labdb.exports.crate import write_crate
from labdb.exports.records import RecordLookupError, find_record


class Command(BaseCommand):
    help = (
        "Export a cell (with its materials, processing, test runs, raw files and analyses) or a "
        "whole project as an RO-Crate .eln archive."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("record", help="label or UUID of a cell, a project or another record")
        parser.add_argument("-o", "--output", required=True, help="the .eln file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["output"])
        if out.suffix != ".eln":
            raise CommandError(f"{out}: the output file should end in .eln")
        try:
            record = find_record(options["record"])
        except RecordLookupError as exc:
            raise CommandError(str(exc)) from exc
        write_crate(record, out)
        self.stdout.write(f"wrote {out} ({out.stat().st_size} bytes) for {record}")
