"""The spectra of a reader's EIS table (EIS after N cycles, in-situ EIS every 10 minutes),
in order with their labels. The series is analysed by the EIS pipeline
(:mod:`analysis.pipelines.eis`), the one loop over spectra."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from analysis.eis.elements import Complex, Real

_LABELS = (
    "cycle",
    "sequence",
    "time_second",
    "potential_volt",
    "current_ampere",
    # where an in-situ spectrum sits in the DC run of a mixed file (analysis.readers)
    "half_cycle",
    "dc_state",
    "half_cycle_charge_ah",
    "rest_second",
    "voltage_volt",
)

#: the DC state of an in-situ spectrum in the lab's words, by cell type: the working electrode
#: of a half cell is the anode-less electrode (a reduction plates Li on it), that of a full
#: cell the cathode (a reduction is a discharge)
STATE_NAMES = {
    "half": {"reduction": "plating", "oxidation": "stripping", "rest": "rest"},
    "full": {"reduction": "discharge", "oxidation": "charge", "rest": "rest"},
}


def state_name(dc_state: str, cell_type: str | None) -> str:
    """``dc_state`` (reduction, oxidation, rest: the sign of the DC current at the working
    electrode) named for the cell: plating/stripping (half cell), discharge/charge (full
    cell), unchanged when the cell type is not known."""
    return STATE_NAMES.get(cell_type or "", {}).get(dc_state, dc_state)


def spectra(table: pd.DataFrame) -> Iterator[tuple[int, Real, Complex, dict[str, Any]]]:
    """``(spectrum, frequency_hz, impedance, labels)`` for each spectrum of a reader's table,
    by spectrum number (rows keep their order within a spectrum); labels are the first value
    of cycle/sequence/time/potential/current where recorded, and ``time_end_second`` the
    spectrum's last time (the protocol check measures in-situ intervals between spectra)."""
    number = table["spectrum"].to_numpy()
    order = np.argsort(number, kind="stable")
    number = number[order]
    f_all = table["frequency_hz"].to_numpy(dtype=np.float64)[order]
    z_all = (
        table["z_real_ohm"].to_numpy(dtype=np.float64)
        + 1j * table["z_imag_ohm"].to_numpy(dtype=np.float64)
    )[order]
    labels_all = {c: table[c].to_numpy()[order] for c in _LABELS if c in table.columns}
    bounds = np.flatnonzero(np.diff(number)) + 1
    starts = np.concatenate(([0], bounds)) if number.size else np.zeros(0, dtype=np.int64)
    stops = np.concatenate((bounds, [number.size])) if number.size else starts
    for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
        labels = {c: _item(v[a]) for c, v in labels_all.items()}
        if "time_second" in labels_all:
            labels["time_end_second"] = _item(labels_all["time_second"][b - 1])
        yield int(number[a]), f_all[a:b], z_all[a:b], labels


def _item(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
