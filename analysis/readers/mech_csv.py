"""Peel, scratch and nano-indentation exports (CSV or XLSX) with units in the column headers.

Canonical tables (every column converted to the unit in its name):

* ``peel``: ``displacement_mm``, ``force_N``; optional ``time_s``.
  Headers: ``Displacement (mm)`` or ``Extension (mm)``; ``Force (N)``, ``Force (gf)``,
  ``Peel force (N)``, ``Load (N)``.
* ``scratch``: ``distance_mm``, ``normal_load_mN``, ``depth_um`` (penetration depth);
  optional ``residual_depth_um``, ``friction_force_mN``, ``acoustic_emission_percent``.
  Headers: ``Distance (mm)``, ``Normal load (mN)``, ``Penetration depth (um)``,
  ``Residual depth (um)``, ``Friction force (mN)``, ``Acoustic emission (%)`` or ``AE [%]``
  (a fraction is taken x 100; arbitrary units, or no unit, are taken as they are with a
  warning: the analysis uses only the signal's rise over its own baseline).
* ``indentation``: ``depth_nm``, ``load_mN``; optional ``time_s``.
  Headers: ``Depth (nm)`` or ``Displacement into surface (nm)``; ``Load (mN)`` or
  ``Load on sample (mN)`` or ``Force (mN)``.

The kind is decided from the header names: scratch names a distance, a normal load and a
penetration depth; indentation a depth and a load but no distance; peel a displacement and a
force but no depth.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analysis.readers.base import Parsed, register
from analysis.readers.mech_units import RELATIVE, Column, read_unit_table, sniff_for

TIME = Column("time_s", ("time", "test time", "elapsed time"), "s", "time", "time since start")

PEEL_DISPLACEMENT = Column(
    "displacement_mm",
    ("displacement", "extension", "crosshead displacement"),
    "mm",
    "length",
    "crosshead displacement",
)
PEEL_FORCE = Column(
    "force_N", ("force", "peel force", "load", "peel load"), "N", "force", "peel force"
)

SCRATCH_DISTANCE = Column(
    "distance_mm",
    ("distance", "scratch distance", "scratch length"),
    "mm",
    "length",
    "distance along the scratch",
)
SCRATCH_LOAD = Column(
    "normal_load_mN",
    ("normal load", "normal force", "fn"),
    "mN",
    "force",
    "normal load on the stylus",
)
SCRATCH_DEPTH = Column(
    "depth_um",
    ("penetration depth", "depth", "pd"),
    "um",
    "length",
    "penetration depth under load",
)
SCRATCH_RESIDUAL = Column(
    "residual_depth_um",
    ("residual depth", "rd"),
    "um",
    "length",
    "residual depth of the groove after the stylus passed",
)
SCRATCH_FRICTION = Column(
    "friction_force_mN",
    ("friction force", "tangential force", "ft"),
    "mN",
    "force",
    "tangential (friction) force",
)

SCRATCH_AE = Column(
    "acoustic_emission_percent",
    ("acoustic emission", "ae", "acoustic emission signal", "ae signal"),
    "%",
    RELATIVE,
    "acoustic emission (% of the sensor's full scale, or arbitrary units)",
)

INDENT_DEPTH = Column(
    "depth_nm",
    ("depth", "displacement into surface", "indentation depth", "displacement"),
    "nm",
    "length",
    "indenter displacement into the surface",
)
INDENT_LOAD = Column(
    "load_mN",
    ("load", "load on sample", "force", "indentation load"),
    "mN",
    "force",
    "load on the indenter",
)

# Sniffing uses the unambiguous names only: "displacement" alone is a peel column.
_DEPTH_ONLY = Column(
    "depth_nm",
    ("depth", "displacement into surface", "indentation depth", "penetration depth"),
    "nm",
    "length",
    "",
)
_PEEL_REQ = (PEEL_DISPLACEMENT, PEEL_FORCE)
_PEEL_NOT = (_DEPTH_ONLY, SCRATCH_DISTANCE)
_SCRATCH_REQ = (SCRATCH_DISTANCE, SCRATCH_LOAD, SCRATCH_DEPTH)
_INDENT_REQ = (_DEPTH_ONLY, INDENT_LOAD)
_INDENT_NOT = (SCRATCH_DISTANCE,)
_EXTS = (".csv", ".txt", ".tsv", ".xlsx")


@register(
    "peel_csv",
    kind="peel",
    extensions=_EXTS,
    sniff=lambda name, head: sniff_for(head, name, _PEEL_REQ, _PEEL_NOT),
    priority=60,
    description="peel test export: Displacement (mm), Force (N|gf)",
)
def read_peel(path: Path, **_: Any) -> Parsed:
    """Peel test export: ``Displacement (mm)``, ``Force (N)`` or ``Force (gf)``."""
    table, warnings, meta = read_unit_table(
        Path(path), required=_PEEL_REQ, optional=(TIME,), forbidden=_PEEL_NOT, what="peel"
    )
    return Parsed(table=table, warnings=tuple(warnings), metadata=meta, kind="peel")


@register(
    "scratch_csv",
    kind="scratch",
    extensions=_EXTS,
    sniff=lambda name, head: sniff_for(head, name, _SCRATCH_REQ),
    priority=60,
    description=(
        "scratch test export: Distance (mm), Normal load (mN), Penetration depth (um); "
        "optional Residual depth, Friction force, Acoustic emission (%)"
    ),
)
def read_scratch(path: Path, **_: Any) -> Parsed:
    """Scratch test export: distance, normal load, penetration depth (and residual depth)."""
    table, warnings, meta = read_unit_table(
        Path(path),
        required=_SCRATCH_REQ,
        optional=(SCRATCH_RESIDUAL, SCRATCH_FRICTION, SCRATCH_AE),
        what="scratch",
    )
    return Parsed(table=table, warnings=tuple(warnings), metadata=meta, kind="scratch")


@register(
    "indentation_csv",
    kind="indentation",
    extensions=_EXTS,
    sniff=lambda name, head: sniff_for(head, name, _INDENT_REQ, _INDENT_NOT),
    priority=60,
    description="nano-indentation export: Depth (nm), Load (mN)",
)
def read_indentation(path: Path, **_: Any) -> Parsed:
    """Nano-indentation export: ``Depth (nm)``, ``Load (mN)`` (and optionally time)."""
    table, warnings, meta = read_unit_table(
        Path(path),
        required=(INDENT_DEPTH, INDENT_LOAD),
        optional=(TIME,),
        forbidden=_INDENT_NOT,
        what="indentation",
    )
    return Parsed(table=table, warnings=tuple(warnings), metadata=meta, kind="indentation")
