"""Which model fields hold physical quantities, and of what kind.

Each model declares its own in ``QUANTITY_FIELDS`` (field name -> kind of
:data:`labdb.units.KINDS`), next to the fields; the value is stored in the kind's canonical
unit, which the field's name ends in (``d50_nm``, ``areal_loading_mg_cm2``). Forms (input with
units), pages (display in the user's preferred units), the bulk import, the change history and
the exports read the kinds from here, so that a field's kind is written once.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Model


def quantity_fields(model: type[Model] | Model) -> Mapping[str, str]:
    """The quantity fields of ``model`` (a class or an instance): field name -> kind."""
    fields: Mapping[str, str] = getattr(model, "QUANTITY_FIELDS", {})
    return fields


def quantity_kind(model: type[Model] | Model, field: str) -> str | None:
    """The quantity kind of ``model.field``, or None if it holds no physical quantity."""
    return quantity_fields(model).get(field)


def quantity_unit(model: type[Model] | Model, field: str) -> str:
    """The canonical unit of the quantity field ``model.field`` as users type it and pages and
    exports show it ("nm", "cm2", "mg/cm2"); KeyError if the field holds no quantity."""
    from labdb.units import KINDS  # here, so that loading the models does not load pint

    kind = quantity_kind(model, field)
    if kind is None:
        raise KeyError(
            f"{getattr(model, '__name__', type(model).__name__)}.{field} holds no quantity"
        )
    return KINDS[kind].unit
