"""``python manage.py reproduce RUN [--kind KIND]``: re-run analyses from their stored inputs and
say whether the outputs are identical.

RUN is an analysis job id (that job), or a test run label or id: the newest succeeded job of
*each kind* on the run's files (a cycling file has its cycling job and the dQ/dV job that
follows it: both are reproduced, cycling first), or of ``--kind`` only. Each is recomputed
from the raw file, read with the reader the job used. Fails when any output differs."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from labdb import models as m
from labdb.selectors.access import lookup_q
from labdb.services.integrity import job_reproduce

#: the order kinds are reproduced in (the analysis others follow first); then by name
KIND_ORDER = ("cycling", "dqdv", "eis", "cv")


def run_jobs(run: m.TestRun, kind: str | None) -> list[m.AnalysisJob]:
    """The newest succeeded job of each kind (or of ``kind``) on the run's files."""
    jobs = m.AnalysisJob.objects.filter(data_file__test_run=run, status="succeeded")
    if kind:
        jobs = jobs.filter(kind=kind)
    newest: dict[str, m.AnalysisJob] = {}
    for job in jobs.select_related("data_file").order_by("-finished_at"):
        newest.setdefault(job.kind, job)
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    return [newest[k] for k in sorted(newest, key=lambda k: (rank.get(k, len(rank)), k))]


class Command(BaseCommand):
    help = (
        "Re-run analysis jobs from their stored raw file and parameters; compare outputs. "
        "A test run: the newest succeeded job of each kind (or --kind)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("run", help="analysis job UUID, or a test run label or UUID")
        parser.add_argument(
            "--kind", default=None, help="only the job of this analysis kind (e.g. cycling)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        key, kind = options["run"], options["kind"]
        job = m.AnalysisJob.objects.filter(pk=key).first() if _is_uuid(key) else None
        if job is not None:
            jobs = [job]
        else:
            run = m.TestRun.objects.filter(lookup_q(key)).first()
            jobs = run_jobs(run, kind) if run is not None else []
        if not jobs:
            what = f"{kind} job" if kind else "analysis job"
            raise CommandError(f"no {what} or test run with results matches {key!r}")
        failed = [job for job in jobs if not self._reproduce(job)]
        if failed:
            names = ", ".join(f"{j.kind} {j.pk}" for j in failed)
            raise CommandError(f"the reproduced output differs from the stored one: {names}")

    def _reproduce(self, job: m.AnalysisJob) -> bool:
        if job.status != "succeeded":
            raise CommandError(f"job {job.pk} is {job.status}; only succeeded jobs have outputs")
        try:
            r = job_reproduce(job)
        except ValueError as exc:
            raise CommandError(f"job {job.pk}: {exc}") from exc
        self.stdout.write(
            f"job {job.pk} ({job.kind}, analysis {job.analysis_version}, commit "
            f"{job.code_commit[:12] or 'unknown'}, reader {job.reader or 'detected'}) on "
            f"{job.data_file.original_name}"
        )
        self.stdout.write(f"stored output sha256:     {r.stored_sha256}")
        self.stdout.write(f"reproduced output sha256: {r.reproduced_sha256}")
        if r.identical:
            self.stdout.write(self.style.SUCCESS("identical"))
            return True
        if r.equivalent:
            self.stdout.write(
                self.style.SUCCESS(
                    "the same result up to floating-point rounding (numbers agree to 1e-9)"
                )
            )
            return True
        for d in r.differences:
            self.stderr.write(d)
        return False


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
