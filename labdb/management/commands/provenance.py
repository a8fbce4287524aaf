"""``python manage.py provenance LABEL_OR_UUID --format prov-json|prov-n|text``: print the W3C
PROV document of any record (see :mod:`labdb.exports.prov`)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from labdb.exports.prov import FORMATS, provenance_document, serialize
from labdb.exports.records import RecordLookupError, find_record


class Command(BaseCommand):
    help = (
        "Print the W3C PROV provenance of a record (lot, formulation, batch, cell, test run, "
        "data file, analysis result or job, or a whole project) found by label, UUID or sha256."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("record", help="label, UUID (or raw file sha256) of the record")
        parser.add_argument("--format", choices=FORMATS, default="prov-json")
        parser.add_argument("-o", "--output", help="write to this file instead of stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            record = find_record(options["record"])
        except RecordLookupError as exc:
            raise CommandError(str(exc)) from exc
        text = serialize(provenance_document(record), options["format"])
        if options.get("output"):
            with open(options["output"], "w", encoding="utf-8") as fh:
                fh.write(text if text.endswith("\n") else text + "\n")
            self.stderr.write(f"wrote {options['output']}")
        else:
            self.stdout.write(text.rstrip("\n"))
