"""``python manage.py cell_summaries rebuild|verify``: the per-cell summary table
(labdb.services.cell_summaries)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from labdb.services.cell_summaries import (
    cell_summaries_rebuild,
    cell_summaries_verify,
    missing_triggers,
)


class Command(BaseCommand):
    help = (
        "rebuild: recompute every cell's summary. verify: compare the stored summaries with "
        "the live computation and the installed triggers with migration 0032's; exit 1 naming "
        "each difference."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "verify"])
        parser.add_argument(
            "--no-refresh",
            action="store_true",
            help="verify: compare without recomputing the cells marked stale first",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rebuild":
            n = cell_summaries_rebuild()
            self.stdout.write(self.style.SUCCESS(f"{n} cell summaries rebuilt"))
            return
        missing = missing_triggers()
        for name in missing:
            self.stderr.write(f"trigger {name} is missing: run `migrate` again or re-create it")
        differences = cell_summaries_verify(refresh=not options["no_refresh"])
        for d in differences:
            fields = ", ".join(d.fields)
            self.stderr.write(
                f"cell {d.cell_id}: {fields} differ"
                f" (stored {[(d.stored or {}).get(f) for f in d.fields]},"
                f" live {[(d.live or {}).get(f) for f in d.fields]})"
            )
        if missing or differences:
            raise CommandError(
                f"{len(differences)} cell summaries differ from the live computation, "
                f"{len(missing)} triggers missing"
            )
        self.stdout.write(self.style.SUCCESS("every cell summary equals the live computation"))
