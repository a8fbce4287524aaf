"""The plots of a cell's page, from its stored results and the canonical tables they were
computed from: voltage profiles, CE, cumulative CE, voltage versus time, capacity and
retention, overpotentials, dQ/dV and dV/dQ of a chosen cycle with the peaks per cycle, Nyquist with fitted curves and residuals, Bode, DRT, resistances
versus cycle and in-situ sequence, CV with marked peaks, lin-KK residuals, and the in-situ
EIS figures of the paper's Fig. 5 (voltage with the spectra marked, resistances per
plating/stripping sequence).

One module per kind of plot: :mod:`~labdb.web.cell_plots.cycling`,
:mod:`~labdb.web.cell_plots.profiles`, :mod:`~labdb.web.cell_plots.dqdv`,
:mod:`~labdb.web.cell_plots.eis`,
:mod:`~labdb.web.cell_plots.insitu` and
:mod:`~labdb.web.cell_plots.cv`, with the helpers they share in
:mod:`~labdb.web.cell_plots.common`. :data:`CELL_PLOTS` maps each plot's URL name to its builder;
other modules import helpers from the submodules, not from this package.
"""

from labdb.web.cell_plots.cv import cv_figure
from labdb.web.cell_plots.cycling import (
    capacity_figure,
    ce_figure,
    cumulative_ce_figure,
    overpotential_figure,
    voltage_time_figure,
)
from labdb.web.cell_plots.dqdv import dqdv_figure, dqdv_peaks_figure, dvdq_figure
from labdb.web.cell_plots.eis import (
    bode_figure,
    drt_figure,
    nyquist_figure,
    resistance_cycle_figure,
    resistance_sequence_figure,
)
from labdb.web.cell_plots.insitu import (
    insitu_resistance_figure,
    insitu_voltage_figure,
    kk_residual_figure,
)
from labdb.web.cell_plots.profiles import profiles_figure
from labdb.web.figures import Builder

CELL_PLOTS: dict[str, Builder] = {
    "profiles": profiles_figure,
    "ce": ce_figure,
    "cumulative-ce": cumulative_ce_figure,
    "voltage-time": voltage_time_figure,
    "capacity": capacity_figure,
    "overpotential": overpotential_figure,
    "nyquist": nyquist_figure,
    "bode": bode_figure,
    "drt": drt_figure,
    "resistance-cycle": resistance_cycle_figure,
    "resistance-sequence": resistance_sequence_figure,
    "cv": cv_figure,
    "kk-residuals": kk_residual_figure,
    "insitu-voltage": insitu_voltage_figure,
    "insitu-resistance": insitu_resistance_figure,
    "dqdv": dqdv_figure,
    "dvdq": dvdq_figure,
    "dqdv-peaks": dqdv_peaks_figure,
}

__all__ = ["CELL_PLOTS"]
