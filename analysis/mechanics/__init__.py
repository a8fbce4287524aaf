"""Mechanical tests of electrode layers: 180-degree peel, scratch and nano-indentation.

Functions take plain arrays in the units their names give (the canonical columns of the
``peel``, ``scratch`` and ``indentation`` readers, :mod:`analysis.readers.mech_csv`) and return
frozen dataclasses with a ``to_json()`` form. Nothing here imports Django.

The analyses live one per module (:mod:`~analysis.mechanics.peel`,
:mod:`~analysis.mechanics.scratch`, :mod:`~analysis.mechanics.indentation`); their public names
are re-exported here, so ``from analysis.mechanics import oliver_pharr`` works.
"""

from analysis.mechanics._series import FloatArray
from analysis.mechanics.indentation import (
    BERKOVICH_AREA,
    IndentationResult,
    contact_area_nm2,
    oliver_pharr,
)
from analysis.mechanics.indentation_set import SET_METRICS, IndentationSet, indentation_set
from analysis.mechanics.peel import (
    GF_IN_N,
    N_PER_M_PER_GF_PER_MM,
    PeelResult,
    PeelSpan,
    peel_plateau,
    peel_span,
    peel_strength,
)
from analysis.mechanics.scratch import (
    DEFAULT_SECTIONS_MM,
    ScratchEvent,
    ScratchResult,
    ScratchSection,
    depth_jump,
    scratch_analysis,
)

__all__ = [
    "BERKOVICH_AREA",
    "DEFAULT_SECTIONS_MM",
    "GF_IN_N",
    "N_PER_M_PER_GF_PER_MM",
    "SET_METRICS",
    "FloatArray",
    "IndentationResult",
    "IndentationSet",
    "PeelResult",
    "PeelSpan",
    "ScratchEvent",
    "ScratchResult",
    "ScratchSection",
    "contact_area_nm2",
    "depth_jump",
    "indentation_set",
    "oliver_pharr",
    "peel_plateau",
    "peel_span",
    "peel_strength",
    "scratch_analysis",
]
