"""``python manage.py reproduce RUN``: re-run an analysis from its stored inputs and say whether
the outputs are identical. RUN is an analysis job id (or a test run label: its latest job)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from labdb import models as m
from labdb.selectors.access import lookup_q
from labdb.services.integrity import job_reproduce


class Command(BaseCommand):
    help = "Re-run an analysis job from its stored raw file and parameters; compare outputs."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("run", help="analysis job UUID, or a test run label or UUID")

    def handle(self, *args: Any, **options: Any) -> None:
        key = options["run"]
        job = m.AnalysisJob.objects.filter(pk=key).first() if _is_uuid(key) else None
        if job is None:
            run = m.TestRun.objects.filter(lookup_q(key)).first()
            if run is not None:
                job = (
                    m.AnalysisJob.objects.filter(data_file__test_run=run, status="succeeded")
                    .order_by("-finished_at")
                    .first()
                )
        if job is None:
            raise CommandError(f"no analysis job or test run with results matches {key!r}")
        if job.status != "succeeded":
            raise CommandError(f"job {job.pk} is {job.status}; only succeeded jobs have outputs")
        r = job_reproduce(job)
        self.stdout.write(
            f"job {job.pk} ({job.kind}, analysis {job.analysis_version}, commit "
            f"{job.code_commit[:12] or 'unknown'}) on {job.data_file.original_name}"
        )
        self.stdout.write(f"stored output sha256:     {r.stored_sha256}")
        self.stdout.write(f"reproduced output sha256: {r.reproduced_sha256}")
        if r.identical:
            self.stdout.write(self.style.SUCCESS("identical"))
            return
        if r.equivalent:
            self.stdout.write(
                self.style.SUCCESS(
                    "the same result up to floating-point rounding (numbers agree to 1e-9)"
                )
            )
            return
        for d in r.differences:
            self.stderr.write(d)
        raise CommandError("the reproduced output differs from the stored one")


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
