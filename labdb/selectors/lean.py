"""Model instances from rows, without ``Model.__init__``: for the pages that build thousands.

Django's ``Model.from_db`` runs ``__init__``, which sets every field through its descriptor
(a foreign key's id through ``ForeignKeyDeferredAttribute.__set__``, marking each deferred
field): about 45 us per instance of a cell with eight foreign keys, 0.5 s for the 10,000 cells
of a decade on /compare/ (bench/scale.py). :func:`lean_instances` fills the instance's
``__dict__`` directly, as ``__init__`` would have left it: the given columns loaded, the
others deferred (read on first access, as with ``QuerySet.only``), ``_state`` saying the row
came from the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model
from django.db.models.base import ModelState

M = TypeVar("M", bound=Model)


def lean_instances(
    model: type[M], attnames: Sequence[str], rows: Iterable[Sequence[Any]]
) -> list[M]:
    """One instance of ``model`` per row of values of ``attnames`` (field attnames, e.g.
    ``anode_batch_id``; values as the database adapter returns them, no converters run:
    only for columns that need none on the backend, e.g. UUIDs, numbers and text on
    PostgreSQL)."""
    names = tuple(attnames)
    new = model.__new__
    out = []
    for row in rows:
        obj = new(model)
        state = ModelState()
        state.adding = False
        state.db = DEFAULT_DB_ALIAS
        obj.__dict__.update(zip(names, row, strict=True))
        obj._state = state
        out.append(obj)
    return out


def lean_instance(model: type[M], attnames: Sequence[str], values: Sequence[Any]) -> M:
    """One instance of ``model`` (see :func:`lean_instances`)."""
    return lean_instances(model, attnames, [values])[0]
