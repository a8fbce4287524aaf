"""A small cycler run written in every vendor layout the simulator's writers know, for the
reader tests: two plating/stripping cycles after a rest, 10 s sampling."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np

from analysis.simulate._trace import MODE_CC, MODE_REST, CyclerTrace
from analysis.simulate.writers.arbin import write_arbin_csv
from analysis.simulate.writers.battery_archive import write_battery_archive_timeseries
from analysis.simulate.writers.bdf import write_bdf
from analysis.simulate.writers.landt import write_landt_csv
from analysis.simulate.writers.maccor import write_maccor_txt
from analysis.simulate.writers.neware import write_neware_csv
from analysis.simulate.writers.novonix import write_novonix_csv
from analysis.simulate.writers.rows import CyclerRows, cycler_rows

STARTED = dt.datetime(2026, 3, 4, 9, 30, 0, tzinfo=dt.UTC)
CURRENT_A = 1e-3


def small_trace(cycles: int = 2) -> CyclerTrace:
    """Rest 10 min, then ``cycles`` x (plating 1 h at -1 mA, stripping 50 min at +1 mA)."""
    trace = CyclerTrace(record_dt_s=60.0, record_dv_V=0.0)
    t = np.arange(0.0, 601.0, 10.0)
    trace.add(t, 1.9 - 1e-5 * t, np.zeros(t.size), step=0, cycle=0, mode=MODE_REST, control=0.0)
    for n in range(cycles):
        t = np.arange(0.0, 3601.0, 10.0)
        i = np.full(t.size, -CURRENT_A * 1e3)
        trace.add(t, -0.01 - 0.01 * t / 3600, i, step=1, cycle=n, mode=MODE_CC, control=-1.0)
        t = np.arange(0.0, 3001.0, 10.0)
        trace.add(
            t, 0.01 + 0.02 * t / 3000, -i[: t.size], step=2, cycle=n, mode=MODE_CC, control=1.0
        )
    return trace


def small_rows() -> CyclerRows:
    return cycler_rows(small_trace(), STARTED)


Writer = Callable[[Path, CyclerRows], Path]

#: variant name -> (file name, writer, the reader's format name)
VARIANTS: dict[str, tuple[str, Writer, str]] = {
    "neware-bts7": ("n7.csv", lambda p, r: write_neware_csv(p, r), "neware-csv"),
    "neware-bts7-milli": (
        "n7m.csv",
        lambda p, r: write_neware_csv(p, r, units="bts7-milli"),
        "neware-csv",
    ),
    "neware-bts8": ("n8.csv", lambda p, r: write_neware_csv(p, r, units="bts8"), "neware-csv"),
    "neware-bom": ("nb.csv", lambda p, r: write_neware_csv(p, r, bom=True), "neware-csv"),
    "neware-decimal-comma": (
        "nc.csv",
        lambda p, r: write_neware_csv(p, r, decimal_comma=True),
        "neware-csv",
    ),
    "neware-gbk": (
        "ng.csv",
        lambda p, r: write_neware_csv(p, r, units="bts8", encoding="gbk"),
        "neware-csv",
    ),
    "maccor-seconds": ("ms.txt", lambda p, r: write_maccor_txt(p, r), "maccor"),
    "maccor-minutes": ("mm.txt", lambda p, r: write_maccor_txt(p, r, time="minutes"), "maccor"),
    "maccor-clock": ("mc.txt", lambda p, r: write_maccor_txt(p, r, time="clock"), "maccor"),
    "maccor-decimal-comma": (
        "md.txt",
        lambda p, r: write_maccor_txt(p, r, time="minutes", decimal_comma=True),
        "maccor",
    ),
    "landt-lanhe": ("l.csv", lambda p, r: write_landt_csv(p, r), "landt"),
    "landt-lanhe-decimal-comma": (
        "lc.csv",
        lambda p, r: write_landt_csv(p, r, decimal_comma=True),
        "landt",
    ),
    "landt-bdf-example": (
        "lb.csv",
        lambda p, r: write_landt_csv(p, r, layout="bdf-example"),
        "landt",
    ),
    "novonix": ("nv.csv", lambda p, r: write_novonix_csv(p, r), "novonix"),
    "battery-archive": (
        "x_timeseries.csv",
        lambda p, r: write_battery_archive_timeseries(p, r),
        "battery-archive",
    ),
    "bdf-csv": ("b.csv", lambda p, r: write_bdf(p, r), "bdf"),
    "bdf-csv-machine-names": ("bm.csv", lambda p, r: write_bdf(p, r, labels=False), "bdf"),
    "bdf-parquet": ("b.parquet", lambda p, r: write_bdf(p, r), "bdf"),
}


def write_arbin(path: Path) -> Path:
    return write_arbin_csv(path, small_trace(), STARTED)
