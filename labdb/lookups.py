"""``field__any_of=[...]`` (or ``Many(...)``): membership in a long list of values as ONE
array parameter on PostgreSQL (``= ANY(%s)``), ``IN (...)`` elsewhere.

A page over a decade of a lab asks for the results of 10,000 cells: as ``IN`` that is 10,000
placeholders, which Django prepares one by one and psycopg splits out of the query text again
(seconds per query on a loaded machine, bench/scale.py); as an array it is one value. The
array travels as ONE text literal cast to the column's array type (``'{...}'::uuid[]``):
psycopg's client-side binding otherwise quotes a list element by element (10,000 UUIDs: about
30 ms of Python per query, seven such queries on /compare/).
Registered on every field and foreign key when this module is imported (labdb.apps).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Field, ForeignKey, Lookup
from django.db.models.lookups import In


class AnyOf(Lookup):  # type: ignore[type-arg]
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return list(self.rhs)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if connection.vendor != "postgresql":
            return compiler.compile(In(self.lhs, self.rhs))  # type: ignore[no-any-return]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        db_type = field.db_type(connection)
        values = list(self.rhs)
        # a UUID is its own value on PostgreSQL (native uuid): no per-value preparation
        if db_type != "uuid" or not all(isinstance(v, uuid.UUID) for v in values):
            values = [field.get_db_prep_value(v, connection, prepared=False) for v in values]
        if not db_type:
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        return f"{lhs} = ANY(%s::{db_type}[])", [*lhs_params, array_literal(values)]


def array_literal(values: list[Any]) -> str:
    """PostgreSQL's text form of a one-dimensional array: UUIDs and numbers as they print,
    anything else double-quoted (a backslash or a double quote escaped), NULL for None."""
    return "{" + ",".join(map(_element, values)) + "}"


def _element(value: Any) -> str:
    if isinstance(value, uuid.UUID | int | float):
        return str(value)
    if value is None:
        return "NULL"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


class Many:
    """The values of an ``__any_of`` lookup, wrapped: Django resolves a list or tuple given
    to a lookup element by element while it builds the query (10,000 calls for a decade's
    cells), anything else it hands to the lookup as it is."""

    __slots__ = ("values",)

    def __init__(self, values: Iterable[Any]) -> None:
        self.values = list(values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


Field.register_lookup(AnyOf)
ForeignKey.register_lookup(AnyOf)
