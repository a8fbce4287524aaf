"""Cyclic-voltammetry exports (CSV or XLSX) with units in the column headers.

Canonical ``cv`` table: ``potential_V``, ``current_A``; optional ``time_s`` and ``cycle``
(an integer, from a unit-less ``Cycle`` column). Headers: ``Potential (V)``, ``E (V)``,
``Ewe (V)`` or ``Voltage (V)``; ``Current (mA)``, ``I (mA)``; ``Time (s)``; ``Cycle``.

BioLogic ``.mpr``/``.mpt`` CV files are read by the BioLogic readers as a ``cycling`` table
(``voltage_volt``, ``current_ampere``...); :mod:`analysis.voltammetry` accepts both tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analysis.readers.base import Parsed, register
from analysis.readers.mech_units import Column, read_unit_table, sniff_for

POTENTIAL = Column(
    "potential_V",
    ("potential", "e", "ewe", "ewe/v", "voltage", "working electrode potential"),
    "V",
    "electric potential",
    "working-electrode potential (vs the reference in the metadata, usually Li/Li+)",
)
CURRENT = Column("current_A", ("current", "i", "<i>"), "A", "current", "current, positive anodic")
TIME = Column("time_s", ("time", "test time", "elapsed time"), "s", "time", "time since start")
CYCLE = Column("cycle", ("cycle", "cycle number", "scan", "cycle index"), None, None, "cycle")

_REQ = (POTENTIAL, CURRENT)
# A cycler export also has a potential and a current; its capacity or step columns say it is
# a cycling file, which the cycler readers take.
_CYCLING = tuple(
    Column("x", (n,), None, None, "")
    for n in (
        "capacity",
        "charge capacity",
        "discharge capacity",
        "charge_capacity(ah)",
        "discharge_capacity(ah)",
        "step",
        "step index",
        "step_index",
        "capacity/mah",
        "q charge/discharge",
        "(q-qo)",
    )
)


@register(
    "cv_csv",
    kind="cv",
    extensions=(".csv", ".txt", ".tsv", ".xlsx"),
    sniff=lambda name, head: sniff_for(head, name, _REQ, _CYCLING),
    priority=70,
    description="cyclic voltammetry export: Potential (V), Current (mA), Cycle",
)
def read_cv(path: Path, **_: Any) -> Parsed:
    """Cyclic voltammetry export: ``Potential (V)``, ``Current (mA)``, optional ``Cycle``."""
    table, warnings, meta = read_unit_table(
        Path(path), required=_REQ, optional=(TIME, CYCLE), forbidden=(), what="cyclic voltammetry"
    )
    return Parsed(table=table, warnings=tuple(warnings), metadata=meta, kind="cv")
