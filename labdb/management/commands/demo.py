"""``python manage.py demo``: load the demo study (idempotent)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from labdb.services.demo import demo_load


class Command(BaseCommand):
    help = "Create the demo study of the paper (idempotent). Needs DEBUG or LABDB_DEMO=1."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_ENABLED:
            raise CommandError("the demo needs DEBUG on or LABDB_DEMO=1 (it creates demo/demo)")
        project = demo_load()
        self.stdout.write(
            self.style.SUCCESS(f"demo study {project.label} ready; log in as demo / demo")
        )
