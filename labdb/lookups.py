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
from collections.abc import Iterable
from typing import Any

from django.db.models import Field, ForeignKey, Lookup
from django.db.models.lookups import In


class AnyOf(Lookup):  # type: ignore[type-arg]
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return list(self.rhs.values if isinstance(self.rhs, Many) else self.rhs)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if connection.vendor != "postgresql":
            return compiler.compile(In(self.lhs, self.rhs))  # type: ignore[no-any-return]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        db_type = field.db_type(connection)
        values = list(self.rhs)
        if db_type == "uuid" and all(isinstance(v, uuid.UUID) for v in values):
            # a UUID is its own value on PostgreSQL (native uuid) and prints as its literal
            literal = "{" + ",".join(map(str, values)) + "}"
            return f"{lhs} = ANY(%s::uuid[])", [*lhs_params, literal]
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
    to a lookup element by element while it builds the query, and checks each element of
    anything iterable against a relation's model (10,000 calls each for a decade's cells);
    this object is neither, and the lookup unwraps it."""

    __slots__ = ("values",)

    def __init__(self, values: Iterable[Any]) -> None:
        self.values = list(values)


Field.register_lookup(AnyOf)
ForeignKey.register_lookup(AnyOf)
