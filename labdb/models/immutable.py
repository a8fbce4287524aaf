"""Records that no code path may change or delete once written.

Raw files, parsed tables, analysis results and the history are immutable: corrections are new
records (a new analysis run, a new formulation version) and the old ones stay visible. The ORM
refuses ``save`` of an existing row, ``delete``, ``QuerySet.update`` and ``QuerySet.delete``;
the rows of an analysis result (the result itself, its cycles, spectra and tables) can only be
added while their job runs: once the job has finished, ``save`` and ``bulk_create`` of a new row
are refused too. On PostgreSQL, triggers refuse the same from any client, raw SQL included
(migrations ``0005``, ``0007``, ``0010``: UPDATE and DELETE; ``0014``: INSERT into a finished
result and TRUNCATE, with the triggers firing even under ``session_replication_role=replica``);
the app's database role does not own the tables, so it cannot disable or drop them
(docs/security.md, :mod:`labdb.db_roles`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, NoReturn

from django.apps import apps
from django.db import models


class ImmutableRecordError(Exception):
    """An attempt to change or delete an immutable record."""


def _refuse(what: str, model: type[models.Model]) -> NoReturn:
    raise ImmutableRecordError(
        f"{model._meta.verbose_name} records are immutable: {what} is refused "
        "(corrections are new records; the old ones stay)"
    )


FINISHED_JOB_STATES = ("succeeded", "failed", "superseded")


def refuse_rows_of_finished_jobs(model: type[models.Model], objs: Iterable[models.Model]) -> None:
    """Refuse new rows of ``model`` whose analysis job has finished (``model.finished_job_field``
    names the field whose value is the job's id: an AnalysisResult's primary key is its job)."""
    field = getattr(model, "finished_job_field", None)
    if field is None:
        return
    attname = model._meta.get_field(field).attname
    job_ids = {getattr(obj, attname) for obj in objs} - {None}
    job_model = apps.get_model("labdb", "AnalysisJob")
    if (
        job_ids
        and job_model.objects.filter(pk__in=job_ids, status__in=FINISHED_JOB_STATES).exists()
    ):
        _refuse("adding rows to the result of a finished analysis job", model)


class ImmutableQuerySet(models.QuerySet[Any]):
    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        objs = list(objs)
        refuse_rows_of_finished_jobs(self.model, objs)
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        _refuse("update", self.model)

    def delete(self) -> tuple[int, dict[str, int]]:
        _refuse("delete", self.model)


class ImmutableModel(models.Model):
    objects = ImmutableQuerySet.as_manager()
    #: for the rows of an analysis result: the field holding the job's id (new rows are refused
    #: once that job has finished)
    finished_job_field: ClassVar[str | None] = None

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            _refuse("changing a stored record", type(self))
        refuse_rows_of_finished_jobs(type(self), [self])
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        _refuse("delete", type(self))


class JobQuerySet(models.QuerySet[Any]):
    """Jobs change state until they finish; a finished job is immutable."""

    def update(self, **kwargs: Any) -> int:
        if self.filter(status__in=FINISHED_JOB_STATES).exists():
            _refuse("updating a finished job", self.model)
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        _refuse("delete", self.model)


class FinishedJobImmutable(models.Model):
    """A job row (analysis or export) that changes state until it finishes and is never
    changed after, nor deleted. ``record_name`` names it in the refusal."""

    record_name = "job"

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_JOB_STATES  # type: ignore[attr-defined]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()  # type: ignore[attr-defined]
            if stored in FINISHED_JOB_STATES:
                raise ImmutableRecordError(f"a finished {self.record_name} is immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError(f"{self.record_name}s are never deleted")
