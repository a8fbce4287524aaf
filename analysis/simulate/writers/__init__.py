"""Writers of real instrument formats for simulated data: BioLogic EC-Lab ``.mpt`` and Arbin CSV.

The files follow what the instruments write, so the demo exercises the same readers as real data:

- :func:`write_gcpl_mpt`: EC-Lab ASCII export of a GCPL run (``EC-Lab ASCII FILE``, ``Nb header
  lines : N``, the technique and its settings table, then EC-Lab's tab-separated GCPL columns
  from ``mode`` to ``P/W``). Windows-1252 text with CRLF line ends (``µ`` in ``µF``), numbers
  in EC-Lab's ``%.7E`` style, the time with 15 digits. Counters as EC-Lab keeps them: ``(Q-Qo)``
  from the start of the run; ``Q charge/discharge`` per half cycle (signed); ``Q charge``,
  ``Q discharge``, ``Energy charge`` and ``Energy discharge`` per cycle; ``Efficiency`` =
  Q charge / Q discharge of the cycle in %.
- :func:`write_peis_mpt`: EC-Lab ASCII export of PEIS spectra (one or several: an in-situ series
  is a Modulo Bat run whose DC rows carry ``freq/Hz`` = 0 between the spectra).
- :func:`write_arbin_csv`: Arbin MITS Pro CSV export (``Data_Point``, ``Test_Time(s)``,
  ``Date_Time``, ..., capacities and energies in Ah and Wh, cumulative within the cycle as
  MITS Pro counts them, reset when ``Cycle_Index`` increments).

One module per export: :mod:`~analysis.simulate.writers.eclab` (what every EC-Lab export shares),
:mod:`~analysis.simulate.writers.gcpl`, :mod:`~analysis.simulate.writers.peis`,
:mod:`~analysis.simulate.writers.modulo_bat` and :mod:`~analysis.simulate.writers.arbin`, with
the cycler counters they write in :mod:`~analysis.simulate.writers.counters`. Their public names
are re-exported here.
"""

from analysis.simulate.writers.arbin import ARBIN_COLUMNS, write_arbin_csv
from analysis.simulate.writers.eclab import InstrumentInfo
from analysis.simulate.writers.gcpl import GCPL_COLUMNS, write_gcpl_mpt
from analysis.simulate.writers.modulo_bat import MB_COLUMNS, write_insitu_mpt
from analysis.simulate.writers.peis import PEIS_COLUMNS, Spectrum, peis_settings, write_peis_mpt

__all__ = [
    "ARBIN_COLUMNS",
    "GCPL_COLUMNS",
    "MB_COLUMNS",
    "PEIS_COLUMNS",
    "InstrumentInfo",
    "Spectrum",
    "peis_settings",
    "write_arbin_csv",
    "write_gcpl_mpt",
    "write_insitu_mpt",
    "write_peis_mpt",
]
