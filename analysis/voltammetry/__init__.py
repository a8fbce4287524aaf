"""Cyclic voltammetry: peaks, lithium plating at the vertex, peaks across cycles, and the dQ/dV
of a first plating curve.

Two tables are accepted wherever a table is taken: the ``cv`` table of
:mod:`analysis.readers.cv_csv` (``potential_V``, ``current_A``, optional ``time_s`` and
``cycle``) and the ``cycling`` table the BioLogic and other cycler readers produce
(``voltage_volt``, ``current_ampere``, ``test_time_second``, optional ``cycle_count``).
Current is positive anodic (oxidation, delithiation of the working electrode) and negative
cathodic (reduction: lithium alloying and plating on an anode-less electrode).

Modules: :mod:`~analysis.voltammetry.data` (columns and sweeps),
:mod:`~analysis.voltammetry.peaks` (the peak rule), :mod:`~analysis.voltammetry.plating`
(the plating tail at the vertex), :mod:`~analysis.voltammetry.tracks` (peaks across cycles),
:mod:`~analysis.voltammetry.plating_dqdv` (first plating curve). Their public names are
re-exported here.
"""

from analysis.voltammetry.data import CVData, Direction, Sweep, cv_data, moving_average, sweeps
from analysis.voltammetry.peaks import CVPeak, CVResult, cv_peaks
from analysis.voltammetry.plating import VertexPlating, vertex_plating
from analysis.voltammetry.plating_dqdv import Plateau, PlatingDQDV, first_plating_dqdv
from analysis.voltammetry.tracks import TRACK_COLUMNS, track_peaks

__all__ = [
    "TRACK_COLUMNS",
    "CVData",
    "CVPeak",
    "CVResult",
    "Direction",
    "Plateau",
    "PlatingDQDV",
    "Sweep",
    "VertexPlating",
    "cv_data",
    "cv_peaks",
    "first_plating_dqdv",
    "moving_average",
    "sweeps",
    "track_peaks",
    "vertex_plating",
]
