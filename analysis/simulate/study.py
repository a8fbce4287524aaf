"""The demo study's raw files, simulated: :func:`write_demo_study`. DEMO DATA, not measurements.

Writes, for the cells of :mod:`labdb.demo` (area 0.785 cm2), one file per test run in
the format of the instrument that would have recorded it:

- every half cell (Mg-E, Ag-E, Sn-E, MgAgSn-E, MgAgSn-P; HC1 and HC2): a Li plating/stripping
  test at 1 mA/cm2 and 1 mAh/cm2 (``PS-1mA-1mAh``, BioLogic BCS-805, EC-Lab ``.mpt`` GCPL);
  targets (paper, Fig. 2 and 6a): ICE 68.5 / 76.2 / 72.7 / 84.5 % for Mg / Ag / Sn / MgAgSn-E,
  single seeds shorting after a few tens of cycles, MgAgSn-E 230+ cycles (~470 h) at an
  expected average CE of 99.62 % (each cycle's CE is drawn around it, so a file's average is
  the draw's; :func:`demo_half_cell_ce` gives the truth), MgAgSn-P (PVDF) with a lower ICE
  and CE and a short near 150 cycles;
- every HC1: EIS after 5 and after 10 cycles (``EIS-POST``, VSP-300, ``.mpt`` PEIS);
- MgAgSn-E-HC2 and MgAgSn-P-HC2: in-situ EIS every 10 min during one plating/stripping
  (``EIS-INSITU-10min``, VSP-300, ``.mpt`` Modulo Bat with the DC rows);
- the full cell MgAgSn-E-FC1: formation at 0.1C (``FORM-0.1C``), rate test 0.1-1C
  (``RATE-0.1-1C``) and 100 cycles at 0.5C (``CYC-0.5C``), Arbin LBT, MITS Pro CSV export.

The models and their parameters are documented in :mod:`analysis.simulate.cycling` and
:mod:`analysis.simulate.eis`. Same ``seed``, same bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from analysis.simulate._trace import FloatArray
from analysis.simulate.cycling import (
    AREA_CM2,
    FullProgram,
    HALF_CELL_CURRENT_mA,
    HalfCellModel,
    half_cell_true_ce,
    simulate_full_cell,
    simulate_half_cell,
)
from analysis.simulate.eis import insitu_series, post_cycling_spectrum
from analysis.simulate.writers import (
    InstrumentInfo,
    write_arbin_csv,
    write_gcpl_mpt,
    write_insitu_mpt,
    write_peis_mpt,
)

Kind = Literal["cycling", "eis"]
START = dt.datetime(2024, 3, 4, 9, 0, 0)


@dataclass(frozen=True)
class DemoFile:
    """One simulated raw file and the test run it belongs to."""

    path: Path
    cell_label: str
    protocol_label: str
    instrument_label: str
    kind: Kind
    description: str
    after_cycles: int | None = None


#: formulation prefix -> (formulation name, seed layer description, model of HC1)
HALF_CELL_MODELS: dict[str, tuple[str, str, HalfCellModel]] = {
    "Mg-E": (
        "Mg-Elastane",
        "Mg seeds (800 nm) + Elastane",
        HalfCellModel(
            initial_ce=0.685,
            average_ce=0.985,
            cycles=1000,
            short_cycle=31,
            plating_overpotential_V=0.022,
            stripping_overpotential_V=0.020,
            overpotential_growth=0.8,
            nucleation_V=0.035,
            alloy_plateaus_V=(0.1,),
            alloy_fraction=0.10,
            reversible_alloy_fraction=0.03,
        ),
    ),
    "Ag-E": (
        "Ag-Elastane",
        "Ag seeds (30 nm) + Elastane",
        HalfCellModel(
            initial_ce=0.762,
            average_ce=0.990,
            cycles=1000,
            short_cycle=52,
            plating_overpotential_V=0.016,
            stripping_overpotential_V=0.015,
            overpotential_growth=0.7,
            nucleation_V=0.012,
            alloy_plateaus_V=(0.2, 0.08),
            alloy_fraction=0.08,
        ),
    ),
    "Sn-E": (
        "Sn-Elastane",
        "Sn seeds (150 nm) + Elastane",
        HalfCellModel(
            initial_ce=0.727,
            average_ce=0.987,
            cycles=1000,
            short_cycle=24,
            plating_overpotential_V=0.020,
            stripping_overpotential_V=0.018,
            overpotential_growth=0.9,
            nucleation_V=0.025,
            alloy_plateaus_V=(0.55, 0.42),
            alloy_fraction=0.09,
        ),
    ),
    "MgAgSn-E": (
        "MgAgSn-Elastane",
        "Mg/Ag/Sn multi-seed + Elastane",
        HalfCellModel(
            initial_ce=0.845,
            average_ce=0.9962,
            cycles=236,
            plating_overpotential_V=0.012,
            stripping_overpotential_V=0.011,
            overpotential_growth=0.5,
            nucleation_V=0.008,
            alloy_plateaus_V=(0.55, 0.42, 0.1, 0.05),
            alloy_fraction=0.06,
            ce_scatter=0.0006,
        ),
    ),
    "MgAgSn-P": (
        "MgAgSn-PVDF",
        "Mg/Ag/Sn multi-seed + PVDF",
        HalfCellModel(
            initial_ce=0.838,
            average_ce=0.9935,
            cycles=1000,
            short_cycle=148,
            plating_overpotential_V=0.016,
            stripping_overpotential_V=0.015,
            overpotential_growth=0.6,
            nucleation_V=0.012,
            alloy_plateaus_V=(0.55, 0.42, 0.1, 0.05),
            alloy_fraction=0.06,
        ),
    ),
}


def replicate(model: HalfCellModel, index: int) -> HalfCellModel:
    """The second replicate: a slightly different ICE, cycle life and overpotential."""
    if index == 1:
        return model
    changes: dict[str, object] = {
        "initial_ce": model.initial_ce - 0.004,
        "plating_overpotential_V": model.plating_overpotential_V * 1.06,
        "stripping_overpotential_V": model.stripping_overpotential_V * 1.06,
    }
    if model.short_cycle is not None:
        changes["short_cycle"] = model.short_cycle + max(4, model.short_cycle // 8)
    else:
        changes["cycles"] = model.cycles - 3
    return dataclasses.replace(model, **changes)  # type: ignore[arg-type]


def _gcpl_settings(cycles: int) -> list[tuple[str, list[str]]]:
    i = f"{HALF_CELL_CURRENT_mA:.3f}"
    return [
        ("Ns", ["0", "1", "2"]),
        ("Set I/C", ["I", "I", "I"]),
        ("Is", ["0.000", f"-{i}", i]),
        ("unit Is", ["mA", "mA", "mA"]),
        ("vs.", ["<None>", "<None>", "<None>"]),
        ("N", ["1.00", "1.00", "1.00"]),
        ("I sign", ["> 0", "> 0", "> 0"]),
        ("t1 (h:m:s)", ["0:10:0.0000", "1:00:0.0000", "2:00:0.0000"]),
        ("I Range", ["10 mA", "10 mA", "10 mA"]),
        ("Bandwidth", ["5", "5", "5"]),
        ("dE1 (mV)", ["100.00", "100.00", "100.00"]),
        ("dt1 (s)", ["120.0000", "120.0000", "120.0000"]),
        ("EM (V)", ["pass", "pass", "1.000"]),
        ("tM (h:m:s)", ["0:00:0.0000", "0:00:0.0000", "0:00:0.0000"]),
        ("Im", ["pass", "pass", "pass"]),
        ("unit Im", ["mA", "mA", "mA"]),
        ("E range min (V)", ["-5.000", "-5.000", "-5.000"]),
        ("E range max (V)", ["5.000", "5.000", "5.000"]),
        ("dq1", ["0.000", "0.000", "0.000"]),
        ("unit dq1", ["mA.h", "mA.h", "mA.h"]),
        ("dQM", ["0.000", "0.000", "0.000"]),
        ("unit dQM", ["mA.h", "mA.h", "mA.h"]),
        ("tR (h:m:s)", ["0:00:0.0000", "0:00:0.0000", "0:00:0.0000"]),
        ("dER/dt (mV/h)", ["0.00", "0.00", "0.00"]),
        ("EL (V)", ["pass", "pass", "pass"]),
        ("goto Ns'", ["0", "0", "1"]),
        ("nc cycles", ["0", "0", str(max(cycles - 1, 0))]),
    ]


def _mb_settings() -> list[tuple[str, list[str]]]:
    i = f"{HALF_CELL_CURRENT_mA:.3f}"
    return [
        ("Ns", ["0", "1", "2", "3"]),
        ("ctrl_type", ["CC", "PEIS", "CC", "PEIS"]),
        ("ctrl1_val", [f"-{i}", "0.000", i, "0.000"]),
        ("ctrl1_val_unit", ["mA", "V", "mA", "V"]),
        ("ctrl1_val_vs", ["<None>", "Eoc", "<None>", "Eoc"]),
        ("lim1_type", ["Time", "", "Time", ""]),
        ("lim1_value", ["10.000", "", "10.000", ""]),
        ("lim1_value_unit", ["mn", "", "mn", ""]),
        ("lim2_type", ["", "", "Ewe", ""]),
        ("lim2_value", ["", "", "1.000", ""]),
        ("lim2_value_unit", ["", "", "V", ""]),
        ("rec1_type", ["Time", "", "Time", ""]),
        ("rec1_value", ["60.000", "", "60.000", ""]),
        ("rec1_value_unit", ["s", "", "s", ""]),
        ("Fi/Ff (PEIS)", ["", "1 MHz/100 mHz", "", "1 MHz/100 mHz"]),
        ("Nd (PEIS)", ["", "10 per decade", "", "10 per decade"]),
        ("Va (mV)", ["", "10.0", "", "10.0"]),
        ("goto Ns'", ["0", "0", "2", "2"]),
        ("nc cycles", ["0", "5", "0", "5"]),
    ]


def half_cell_seed(cell_label: str, seed: int = 0) -> int:
    """Seed of the plating/stripping run of ``cell_label`` (e.g. ``MgAgSn-E-HC1``)."""
    return seed * 100_003 + 50_000 + zlib.crc32(cell_label.encode()) % 49_999


def half_cell_model(cell_label: str) -> HalfCellModel:
    """The model of the demo half cell ``cell_label`` (``<formulation prefix>-HC<1|2>``)."""
    prefix, rep = cell_label.rsplit("-HC", 1)
    return replicate(HALF_CELL_MODELS[prefix][2], int(rep))


def demo_half_cell_ce(cell_label: str, seed: int = 0) -> FloatArray:
    """The CE of each cycle (index 0 is cycle 1) that the demo half cell ``cell_label`` was
    generated with by :func:`write_demo_study` with ``seed``: the truth an analysis of its file
    is compared with (drawn around the paper's values, not forced onto them)."""
    return half_cell_true_ce(half_cell_model(cell_label), seed=half_cell_seed(cell_label, seed))


def write_demo_study(out_dir: Path, seed: int = 0) -> list[DemoFile]:
    """Write the demo study's raw files under ``out_dir``; same ``seed``, same bytes."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[DemoFile] = []
    counter = 0

    def sub_seed() -> int:
        nonlocal counter
        counter += 1
        return seed * 100_003 + counter

    def cell_seed(cell: str) -> int:
        return half_cell_seed(cell, seed)

    def info(
        device: str, serial: str, channel: int, day: float, stem: str, electrode: str
    ) -> InstrumentInfo:
        return InstrumentInfo(
            device=device,
            serial=serial,
            channel=channel,
            started=START + dt.timedelta(days=day),
            file_stem=stem,
            electrode=electrode,
            area_cm2=AREA_CM2,
        )

    for position, (prefix, (formulation, electrode, base)) in enumerate(HALF_CELL_MODELS.items()):
        for rep in (1, 2):
            cell = f"{prefix}-HC{rep}"
            model = replicate(base, rep)
            stem = f"{cell}_PS-1mA-1mAh_C{2 * position + rep:02d}"
            path = out_dir / f"{stem}.mpt"
            trace = simulate_half_cell(model, seed=cell_seed(cell))
            write_gcpl_mpt(
                path,
                trace,
                info("BCS-805", "0042", 2 * position + rep, 2 * position + rep, stem, electrode),
                settings=_gcpl_settings(model.last_cycle),
            )
            files.append(
                DemoFile(
                    path=path,
                    cell_label=cell,
                    protocol_label="PS-1mA-1mAh",
                    instrument_label="BCS-805-1",
                    kind="cycling",
                    description=(
                        f"Li plating/stripping, 1 mA/cm2, 1 mAh/cm2, {model.last_cycle} cycles "
                        f"({formulation}; simulated)"
                    ),
                )
            )
            if rep == 1:
                for after in (5, 10):
                    stem = f"{cell}_EIS-POST_{after:02d}cyc_C01"
                    path = out_dir / f"{stem}.mpt"
                    spectrum = post_cycling_spectrum(formulation, after, seed=sub_seed())
                    write_peis_mpt(
                        path,
                        [spectrum],
                        info("VSP-300", "0911", 1, 30 + position + after / 10, stem, electrode),
                    )
                    files.append(
                        DemoFile(
                            path=path,
                            cell_label=cell,
                            protocol_label="EIS-POST",
                            instrument_label="VSP-300-1",
                            kind="eis",
                            description=(
                                f"PEIS 1 MHz-0.1 Hz after {after} plating/stripping cycles "
                                f"({formulation}; simulated)"
                            ),
                            after_cycles=after,
                        )
                    )
            elif prefix in ("MgAgSn-E", "MgAgSn-P"):
                binder = "Elastane" if prefix == "MgAgSn-E" else "PVDF"
                stem = f"{cell}_EIS-INSITU-10min_C02"
                path = out_dir / f"{stem}.mpt"
                dc, spectra = insitu_series(binder, model, seed=sub_seed())
                write_insitu_mpt(
                    path,
                    dc,
                    spectra,
                    info("VSP-300", "0911", 2, 40 + position, stem, electrode),
                    settings=_mb_settings(),
                )
                files.append(
                    DemoFile(
                        path=path,
                        cell_label=cell,
                        protocol_label="EIS-INSITU-10min",
                        instrument_label="VSP-300-1",
                        kind="eis",
                        description=(
                            f"In-situ PEIS every 10 min during Li plating (6) and stripping "
                            f"({len(spectra) - 6}) at 1 mA/cm2 ({formulation}; simulated)"
                        ),
                    )
                )
    full = "MgAgSn-E-FC1"
    programs: tuple[tuple[FullProgram, str, str], ...] = (
        ("formation", "FORM-0.1C", "Formation, 1 cycle at 0.1C, 2.5-4.3 V, CC-CV charge"),
        ("rate", "RATE-0.1-1C", "Rate test, 3 cycles each at 0.1, 0.2, 0.5 and 1C"),
        ("cycling", "CYC-0.5C", "100 cycles at 0.5C, 2.5-4.3 V, CC-CV charge"),
    )
    for day, (program, protocol, what) in enumerate(programs):
        path = out_dir / f"{full}_{protocol}_Channel_3.csv"
        trace = simulate_full_cell(program, seed=sub_seed())
        write_arbin_csv(path, trace, START + dt.timedelta(days=50 + 3 * day))
        files.append(
            DemoFile(
                path=path,
                cell_label=full,
                protocol_label=protocol,
                instrument_label="Arbin-LBT-1",
                kind="cycling",
                description=f"NCM811 | LPSCl | MgAgSn-Elastane: {what} (1C = 2 mA/cm2; simulated)",
            )
        )
    return files
