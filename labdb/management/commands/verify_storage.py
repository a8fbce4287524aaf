"""``python manage.py verify_storage``: re-hash every stored file; exit 1 naming each bad one."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from labdb.services.integrity import storage_verify


class Command(BaseCommand):
    help = "Re-hash every file in the blob store and report those that no longer match."

    def handle(self, *args: Any, **options: Any) -> None:
        check = storage_verify()
        for p in check.problems:
            records = "; ".join(p["records"]) or "no record refers to it"
            self.stderr.write(f"{p['sha256']}: {p['problem']} ({p['path']}; {records})")
        if not check.ok:
            raise CommandError(
                f"{len(check.problems)} of {check.checked} stored files failed the check"
            )
        self.stdout.write(self.style.SUCCESS(f"{check.checked} stored files verified"))
