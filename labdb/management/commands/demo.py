"""``python manage.py demo``: load the demo study (idempotent; see :mod:`labdb.demo`)."""

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from labdb.demo import demo_study


class Command(BaseCommand):
    help = "Create the demo study of the paper (idempotent). Needs DEBUG or LABDB_DEMO=1."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--catalog-only", action="store_true", help="skip the simulated raw data files"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_ENABLED:
            raise CommandError("the demo needs DEBUG on or LABDB_DEMO=1 (it creates demo/demo)")
        started = time.monotonic()
        project, registered = demo_study(with_files=not options["catalog_only"])
        if not options["catalog_only"]:
            new = sum(r.created for r in registered)
            failed = [r for r in registered if r.job is not None and r.job.status == "failed"]
            self.stdout.write(
                f"{len(registered)} demo data files ({new} new), {len(failed)} failed "
                f"analyses, {time.monotonic() - started:.0f} s"
            )
            for r in failed:
                assert r.job is not None
                self.stderr.write(f"  {r.data_file.original_name}: {r.job.error}")
        self.stdout.write(
            self.style.SUCCESS(f"demo study {project.label} ready; log in as demo / demo")
        )
