"""Rows for thousands of records (labdb.selectors.lean, labdb.lookups, labdb.gcpause): an
instance built without Model.__init__ holds the same values as the ORM's and loads a deferred
field on access; ``any_of`` with ``Many`` selects the same rows as ``in``; the array literal
quotes what needs it; the GC pause restores the collector."""

from __future__ import annotations

import gc
import uuid
from typing import Any

from labdb import models as m
from labdb.gcpause import gc_paused
from labdb.lookups import Many, array_literal
from labdb.selectors.lean import lean_instances


def test_array_literal_quotes_text_and_prints_uuids_and_numbers() -> None:
    u = uuid.UUID(int=5)
    assert array_literal([u, 3, 2.5, None, 'a"b\\c', "x,y"]) == (
        '{00000000-0000-0000-0000-000000000005,3,2.5,NULL,"a\\"b\\\\c","x,y"}'
    )


def test_lean_cells_equal_the_orm_and_load_deferred_fields(demo: Any) -> None:
    names = ["id", "label", "kind", "anode_batch_id"]
    orm = {c.pk: c for c in m.Cell.objects.all()}
    lean = lean_instances(m.Cell, names, m.Cell.objects.values_list(*names))
    assert len(lean) == len(orm) > 0
    for cell in lean:
        ref = orm[cell.pk]
        assert (cell.label, cell.kind, cell.anode_batch_id) == (
            ref.label,
            ref.kind,
            ref.anode_batch_id,
        )
        assert not cell._state.adding and cell._state.db == "default"
        assert cell.get_deferred_fields() >= {"notes", "status"}
        assert cell.status == ref.status  # read from the database on access
        assert cell.anode_batch == ref.anode_batch


def test_any_of_many_selects_what_in_selects(demo: Any) -> None:
    ids = list(m.Cell.objects.values_list("id", flat=True)[:3])
    assert ids
    expected = set(m.Cell.objects.filter(id__in=ids).values_list("label", flat=True))
    for value in (ids, Many(ids), Many(iter(ids))):
        assert (
            set(m.Cell.objects.filter(id__any_of=value).values_list("label", flat=True)) == expected
        )
    assert not m.Cell.objects.filter(id__any_of=Many([])).exists()


def test_gc_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
