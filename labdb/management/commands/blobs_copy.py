"""``python manage.py blobs_copy [--from DIR]``: copy the blobs of a local store (by default
``LABDB_DATA_DIR/blobs``, where labdb kept them before ``LABDB_BLOB_STORE``) into the configured
blob store, each verified against its sha256 on the way; exit 1 naming any damaged one."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from labdb.storage import ChecksumMismatch, store_file


class Command(BaseCommand):
    help = "Copy a local blob folder into the configured blob store (e.g. S3), verified."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="source", default=None, help="a local blob folder")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["source"] or settings.BLOB_DIR)
        if not source.is_dir():
            raise CommandError(f"{source} is not a folder")
        copied = present = 0
        damaged: list[str] = []
        for sub in sorted(p for p in source.iterdir() if p.is_dir() and len(p.name) == 2):
            for path in sorted(sub.iterdir()):
                try:
                    blob = store_file(path, expected_sha256=path.name, max_bytes=1 << 62)
                except ChecksumMismatch as exc:
                    damaged.append(f"{path}: {exc}")
                    continue
                copied, present = copied + blob.created, present + (not blob.created)
        for line in damaged:
            self.stderr.write(line)
        summary = f"{copied} copied, {present} already in the store, {len(damaged)} damaged"
        if damaged:
            raise CommandError(summary + " (not copied: upload the original files again)")
        self.stdout.write(self.style.SUCCESS(summary))
