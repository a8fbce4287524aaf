"""What a comparison groups cells by (:class:`CellInfo`): formulation, seeds, binder, lots,
batch, operator and cycling channel of each cell, read for many cells at once
(:func:`cell_infos`; re-exported by :mod:`labdb.selectors.results`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from labdb import models as m
from labdb.lookups import Many
from labdb.selectors.headline import LONG_TERM_KINDS


@dataclass(frozen=True, slots=True)  # no __dict__: 10,000 per /compare/ at a decade
class CellInfo:
    cell: m.Cell
    formulation: str
    seeds: str
    binder: str
    #: "name v2", seed lots "Ag-L1+Mg-L2", SE lot, anode batch, assembling operator, and the
    #: instrument channel(s) of the cell's long-term cycling runs ("CYC-1 ch 3")
    version: str = ""
    seed_lot: str = ""
    electrolyte_lot: str = ""
    batch: str = ""
    operator: str = ""
    channel: str = ""


def cell_infos(cells: Sequence[m.Cell]) -> dict[Any, CellInfo]:
    """Formulation name, seed set (e.g. 'Ag+Mg+Sn') and binder of each cell's electrode.

    The cells' batches, formulations, lots and operators are read by id (a query each, rows
    per distinct record, not per cell), so the cells need no related records loaded."""
    from django.contrib.auth import get_user_model

    batches = {
        pk: (label, fid, name, version)
        for pk, label, fid, name, version in m.ElectrodeBatch.objects.filter(
            pk__in={c.anode_batch_id for c in cells}
        ).values_list("pk", "label", "formulation_id", "formulation__name", "formulation__version")
    }
    formulation_ids = {b[1] for b in batches.values()}
    components = m.FormulationComponent.objects.filter(
        formulation_id__in=formulation_ids, role__in=["seed", "binder"]
    ).values_list("formulation_id", "role", "lot__material__name", "lot__label")
    seeds: dict[Any, set[str]] = {}
    binders: dict[Any, set[str]] = {}
    seed_lots: dict[Any, set[str]] = {}
    for fid, role, name, lot in components:
        (seeds if role == "seed" else binders).setdefault(fid, set()).add(name)
        if role == "seed":
            seed_lots.setdefault(fid, set()).add(lot)
    lots = dict(
        m.MaterialLot.objects.filter(pk__in={c.electrolyte_lot_id for c in cells}).values_list(
            "pk", "label"
        )
    )
    user_model = get_user_model()
    operators = dict(
        user_model.objects.filter(
            pk__in={c.operator_id for c in cells if c.operator_id}
        ).values_list("pk", user_model.USERNAME_FIELD)
    )
    channels: dict[Any, set[str]] = {}
    for cid, instrument, channel in m.TestRun.objects.filter(
        cell_id__any_of=Many(c.id for c in cells),
        protocol__kind__in=LONG_TERM_KINDS,
        instrument__isnull=False,
    ).values_list("cell_id", "instrument__label", "channel"):
        channels.setdefault(cid, set()).add(f"{instrument} ch {channel or '?'}")
    # what a cell's batch decides, once per batch (a decade: 10,000 cells, a few hundred
    # batches)
    of_batch = {}
    for pk, (batch, fid, name, version) in batches.items():
        of_batch[pk] = {
            "formulation": name,
            "seeds": "+".join(sorted(seeds.get(fid, set()))) or "none",
            "binder": "+".join(sorted(binders.get(fid, set()))) or "none",
            "version": f"{name} v{version}",
            "seed_lot": "+".join(sorted(seed_lots.get(fid, set()))) or "none",
            "batch": batch,
        }
    channel_text = {cid: "+".join(sorted(names)) for cid, names in channels.items()}
    out = {}
    for c in cells:
        out[c.id] = CellInfo(
            cell=c,
            electrolyte_lot=lots.get(c.electrolyte_lot_id, "none"),
            operator=operators.get(c.operator_id, "none"),
            channel=channel_text.get(c.id, "none"),
            **of_batch[c.anode_batch_id],
        )
    return out
