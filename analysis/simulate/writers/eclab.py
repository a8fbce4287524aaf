"""BioLogic EC-Lab ASCII export (``.mpt``): the header, the settings table and the tab-separated
rows that every technique's export shares."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

_INT_COLUMNS = {
    "control changes",
    "counter inc.",
    "error",
    "half cycle",
    "I Range",
    "mode",
    "Ns",
    "Ns changes",
    "ox/red",
}
_LONG_COLUMNS = {"time/s", "cycle number", "z cycle"}


@dataclass(frozen=True)
class InstrumentInfo:
    """What the header says about the run: device, channel, start, sample."""

    device: str
    serial: str
    channel: int
    started: dt.datetime
    file_stem: str
    electrode: str = ""
    electrolyte: str = "Li6PS5Cl"
    comments: str = "labdb demo data: simulated, not measured"
    area_cm2: float = 0.785


def _fmt(name: str) -> str:
    if name in _INT_COLUMNS:
        return "%d"
    if name in _LONG_COLUMNS:
        return "%.15E"
    return "%.7E"


def _rows(columns: Sequence[str], data: Mapping[str, npt.NDArray[np.generic]]) -> list[str]:
    fmt = "\t".join(_fmt(c) for c in columns)
    values = [
        data[c].astype(np.int64).tolist() if c in _INT_COLUMNS else data[c].tolist()
        for c in columns
    ]
    return [fmt % row for row in zip(*values, strict=True)]


def _settings_table(rows: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    return [label.ljust(20) + "".join(v.ljust(20) for v in values) for label, values in rows]


def _mpt_header(technique: str, info: InstrumentInfo, settings: list[str]) -> list[str]:
    started = info.started.strftime("%m/%d/%Y %H:%M:%S")
    return [
        "EC-Lab ASCII FILE",
        "Nb header lines : {n}                          ",
        "",
        technique,
        "",
        f"Run on channel : {info.channel} (SN {info.serial})",
        "User : ",
        "CE vs. WE compliance from -10 V to 10 V",
        "Electrode connection : standard",
        "Potential control : Ewe",
        "Ewe ctrl range : min = -5.00 V, max = 5.00 V",
        "Safety Limits :",
        "\tDo not start on E overload",
        f"Acquisition started on : {started}",
        "Loaded Setting File : NONE",
        "Saved on :",
        f"\tFile : {info.file_stem}.mpr",
        "\tDirectory : C:\\Data\\anodeless-multiseed\\",
        "\tHost : 192.168.0.12",
        f"Device : {info.device} (SN {info.serial})",
        "Address : 192.168.0.20",
        "EC-Lab for windows v11.50 (software)",
        "Internet server v11.50 (firmware)",
        "Command interpretor v11.50 (firmware)",
        f"Electrode material : {info.electrode}",
        "Initial state : pristine",
        f"Electrolyte : {info.electrolyte}",
        f"Comments : {info.comments}",
        f"Electrode surface area : {info.area_cm2:.3f} cm²",
        "Characteristic mass : 0.001 g",
        "Text export",
        "   Mode : Standard",
        "   Time format : Elapsed",
        "Cycle Definition : Charge/Discharge alternance",
        *settings,
        "",
    ]


def _write_mpt(path: Path, header: list[str], columns: Sequence[str], rows: list[str]) -> Path:
    n = len(header) + 1
    header = [header[0], header[1].format(n=n), *header[2:]]
    text = "\r\n".join([*header, "\t".join(columns) + "\t", *rows]) + "\r\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("cp1252"))
    return path
