"""Simulated raw instrument files for the demo study. DEMO DATA: simulated, not measured.

A small, seeded, deterministic simulator (numpy and pandas; never imports django) that writes
the files the lab's instruments would write, so that ``python manage.py demo`` (see
:mod:`labdb.demo`) exercises the same readers and analyses as real data:

- :mod:`analysis.simulate.cycling`: Li plating/stripping half cells and the NCM811 full cell;
- :mod:`analysis.simulate.eis`: impedance spectra after cycling and in-situ series;
- :mod:`analysis.simulate.writers`: BioLogic EC-Lab ``.mpt`` (GCPL, PEIS, Modulo Bat) and
  Arbin MITS Pro CSV writers;
- :mod:`analysis.simulate.study`: :func:`write_demo_study`, the whole electrochemistry study,
  one file per test run, with the labels of the demo catalog;
- :mod:`analysis.simulate.cells`: generated half and full cells with known truth (hard and
  soft shorts, instrument noise, glitches, trapped-Li CE recovery, HPPC/EIS blocks, flipped
  sign, ...), the independent evaluation of the cycling analysis (``bench/shorts.py``,
  docs/simulator.md);
- :mod:`analysis.simulate.mechanics`: peel, scratch, nano-indentation and CV files,
  :func:`~analysis.simulate.mechanics.write_demo_set` for the Elastane and PVDF electrodes
  (imported on its own, so that the electrochemistry needs no pandas).
"""

from analysis.simulate.study import DemoFile, write_demo_study

__all__ = ["DemoFile", "write_demo_study"]
