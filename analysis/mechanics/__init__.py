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
from analysis.mechanics.peel import (
    GF_IN_N,
    N_PER_M_PER_GF_PER_MM,
    PeelResult,
    peel_plateau,
    peel_strength,
)
from analysis.mechanics.scratch import (
    ScratchResult,
    ScratchSection,
    depth_jump,
    scratch_analysis,
)

__all__ = [
    "BERKOVICH_AREA",
    "GF_IN_N",
    "N_PER_M_PER_GF_PER_MM",
    "FloatArray",
    "IndentationResult",
    "PeelResult",
    "ScratchResult",
    "ScratchSection",
    "contact_area_nm2",
    "depth_jump",
    "oliver_pharr",
    "peel_plateau",
    "peel_strength",
    "scratch_analysis",
]
