"""Records that no code path may change or delete once written.

Raw files, parsed tables, analysis results and the history are immutable: corrections are new
records (a new analysis run, a new formulation version) and the old ones stay visible. The ORM
refuses ``save`` of an existing row, ``delete``, ``QuerySet.update`` and ``QuerySet.delete``;
on PostgreSQL, triggers (migration ``0004``) refuse UPDATE and DELETE from any client, raw SQL
included.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models


class ImmutableRecordError(Exception):
    """An attempt to change or delete an immutable record."""


def _refuse(what: str, model: type[models.Model]) -> NoReturn:
    raise ImmutableRecordError(
        f"{model._meta.verbose_name} records are immutable: {what} is refused "
        "(corrections are new records; the old ones stay)"
    )


class ImmutableQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        _refuse("update", self.model)

    def delete(self) -> tuple[int, dict[str, int]]:
        _refuse("delete", self.model)


class ImmutableModel(models.Model):
    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            _refuse("changing a stored record", type(self))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        _refuse("delete", type(self))


FINISHED_JOB_STATES = ("succeeded", "failed")


class JobQuerySet(models.QuerySet[Any]):
    """Jobs change state until they finish; a finished job is immutable."""

    def update(self, **kwargs: Any) -> int:
        if self.filter(status__in=FINISHED_JOB_STATES).exists():
            _refuse("updating a finished job", self.model)
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        _refuse("delete", self.model)
