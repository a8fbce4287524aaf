"""HDF5 cycling files: battery-data-toolkit (battdat) and Indigo (as BEEP reads it).

Formats ``battdat-hdf5`` and ``indigo-hdf5``, read with h5py (no PyTables needed).

``battdat-hdf5``: the HDF5 layout of ROVI-org's battery-data-toolkit (``battdat``): a PyTables
table ``raw_data`` whose ``metadata`` attribute is the JSON column schema, with the unit of
every column (``s``, ``V``, ``A``, ``A-hr``, ``J``, ``C``): those units are honoured. Columns:
``test_time`` (s from the start), ``voltage``, ``current`` (positive charging: BDF's sign, the
schema says so), ``cycle_number`` (from 0; kept as ``cycle_count``), ``step_index``, ``time``
(unix seconds), ``temperature``, ``cycle_capacity_charge``/``cycle_capacity_discharge`` and
``cycle_energy_charge``/``cycle_energy_discharge`` (cumulative within the cycle: converted to
cumulative within the step).

``indigo-hdf5``: a pandas ``HDFStore`` (fixed format) with a frame ``time_series_data``:
``time_s`` (s), ``cell_voltage_v``, ``cell_current_a`` (signed, negative discharging),
``cell_coulomb_count_c`` and ``cell_energy_j`` (signed, C and J, restarting from 0 at every
half-cycle),
``cell_temperature_c``, ``system_time_us`` (unix microseconds), ``cycle_count`` and
``half_cycle_count``. A step is a half-cycle (Indigo's count, or a change of the experiment);
the net counters' rises and falls, summed within the step, are the charging and discharging
capacity and energy.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from analysis.readers._units import SI_UNIT, to_si
from analysis.readers.base import Parsed, ParseError, register
from analysis.readers.canonical import finish_cycling

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"

#: battdat column -> (canonical column, quantity for the unit conversion or None)
BATTDAT_COLUMNS: dict[str, tuple[str, str | None]] = {
    "test_time": ("test_time_second", "time"),
    "voltage": ("voltage_volt", "voltage"),
    "current": ("current_ampere", "current"),
    "cycle_number": ("cycle_count", None),
    "step_index": ("step_index", None),
    "time": ("unix_time_second", "time"),
    "temperature": ("temperature_t1_celsius", "temperature"),
    "cycle_capacity_charge": ("charging_capacity_ah", "capacity"),
    "cycle_capacity_discharge": ("discharging_capacity_ah", "capacity"),
    "cycle_energy_charge": ("charging_energy_wh", "energy"),
    "cycle_energy_discharge": ("discharging_energy_wh", "energy"),
}
_BATTDAT_REQUIRED = ("test_time", "voltage", "current")
_INDIGO_REQUIRED = ("time_s", "cell_voltage_v", "cell_current_a")


def _open(path: Path) -> Any:
    import h5py

    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise ParseError(f"not a readable HDF5 file ({exc})", file=path) from exc


def _sniff_battdat(name: str, head: bytes) -> bool:
    return head.startswith(HDF5_MAGIC) and b"raw_data" in head and b"battdat" in head


def _sniff_indigo(name: str, head: bytes) -> bool:
    return head.startswith(HDF5_MAGIC) and b"time_series_data" in head and b"cell_" in head


@register(
    "battdat-hdf5",
    kind="cycling",
    extensions=(".h5", ".hdf", ".hdf5"),
    sniff=_sniff_battdat,
    version="1",
    priority=10,
)
def read_battdat(path: Path, **_: Any) -> Parsed:
    """battery-data-toolkit HDF5 (the ``raw_data`` table)."""
    with _open(path) as h5:
        if "raw_data" not in h5:
            raise ParseError(
                "no raw_data table in the HDF5 file",
                file=path,
                expected="a battdat file with a table raw_data",
                found=", ".join(h5.keys()) or "no datasets",
            )
        dataset = h5["raw_data"]
        names = dataset.dtype.names or ()
        missing = [c for c in _BATTDAT_REQUIRED if c not in names]
        if missing:
            raise ParseError(
                "a required column is missing from raw_data",
                file=path,
                column=missing[0],
                expected=", ".join(_BATTDAT_REQUIRED),
                found=", ".join(names),
            )
        schema = _battdat_schema(dataset.attrs.get("metadata"), path)
        data = dataset[()]
        meta: dict[str, Any] = {"battdat_version": _text_attr(h5.attrs.get("battdat_version"))}
        file_meta = _text_attr(h5.attrs.get("metadata"))
        if file_meta:
            with contextlib.suppress(json.JSONDecodeError):  # descriptive only
                described = json.loads(file_meta)
                if isinstance(described, dict):
                    meta.update({k: v for k, v in described.items() if v is not None})
    table: dict[str, npt.NDArray[np.float64]] = {}
    for source, (canonical, quantity) in BATTDAT_COLUMNS.items():
        if source not in names:
            continue
        values = np.asarray(data[source], dtype=np.float64)
        if quantity is not None:
            unit = (schema.get(source) or {}).get("units") or SI_UNIT[quantity]
            values = to_si(values, str(unit), quantity, column=f"raw_data/{source}")
        table[canonical] = values
    return finish_cycling(
        pd.DataFrame(table), file=path, counters="cumulative", metadata=meta, first_row=1
    )


@register(
    "indigo-hdf5",
    kind="cycling",
    extensions=(".h5", ".hdf", ".hdf5"),
    sniff=_sniff_indigo,
    version="1",
    priority=10,
)
def read_indigo(path: Path, **_: Any) -> Parsed:
    """Indigo HDF5 (the ``time_series_data`` frame of a pandas HDFStore)."""
    with _open(path) as h5:
        frame = _fixed_format_frame(h5, "time_series_data", path)
    missing = [c for c in _INDIGO_REQUIRED if c not in frame]
    if missing:
        raise ParseError(
            "a required column is missing from time_series_data",
            file=path,
            column=missing[0],
            expected=", ".join(_INDIGO_REQUIRED),
            found=", ".join(frame),
        )
    current = frame["cell_current_a"]
    table: dict[str, npt.NDArray[np.float64]] = {
        "test_time_second": frame["time_s"],
        "voltage_volt": frame["cell_voltage_v"],
        "current_ampere": current,
    }
    if "system_time_us" in frame:
        table["unix_time_second"] = frame["system_time_us"] / 1e6
    if "cycle_count" in frame:
        table["cycle_count"] = frame["cycle_count"]
    if "cell_temperature_c" in frame:
        table["temperature_t1_celsius"] = frame["cell_temperature_c"]
    keys = [frame[k] for k in ("experiment_count", "half_cycle_count") if k in frame]
    n = current.size
    starts = np.zeros(n, dtype=bool)
    if n:
        starts[0] = True
        for key in keys:
            starts[1:] |= key[1:] != key[:-1]
    if keys:
        table["step_count"] = np.cumsum(starts, dtype=np.float64)
        first = np.flatnonzero(starts)
        lengths = np.diff(np.append(first, n))
        for counter, names in (
            ("cell_coulomb_count_c", ("charging_capacity_ah", "discharging_capacity_ah")),
            ("cell_energy_j", ("charging_energy_wh", "discharging_energy_wh")),
        ):
            if counter in frame:
                net = frame[counter] / 3600.0  # C -> Ah, J -> Wh
                table[names[0]], table[names[1]] = _split_net_counter(net, first, lengths)
    meta = {"cell_id": int(frame["cell_id"][0])} if "cell_id" in frame and n else {}
    return finish_cycling(
        pd.DataFrame(table), file=path, counters="step", metadata=meta, first_row=1
    )


def _split_net_counter(
    net: npt.NDArray[np.float64], first: npt.NDArray[np.intp], lengths: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """A signed counter that restarts from 0 at every step (Indigo counts charge and energy per
    half-cycle, up while charging, down while discharging) as charging and discharging counters
    cumulative within the step: its rises and its falls from row to row, summed from the step's
    first row. A step with pulses of both signs counts both, so their difference over any rows
    is the signed counter's own change."""
    change = np.diff(net, prepend=0.0)
    change[first] = net[first]  # the counter restarts from 0 at every step
    out = []
    for steps in (np.maximum(change, 0.0), np.maximum(-change, 0.0)):
        total = np.cumsum(steps)
        before = total[first] - steps[first]  # the running total before each step's first row
        out.append(total - np.repeat(before, lengths))
    return out[0], out[1]


def _text_attr(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _battdat_schema(raw: Any, path: Path) -> dict[str, Any]:
    """The column schema (JSON in the table's ``metadata`` attribute); {} when absent."""
    text = _text_attr(raw)
    if not text:
        return {}
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(
            "the raw_data column schema is not JSON", file=path, column="raw_data/metadata"
        ) from exc
    return schema if isinstance(schema, dict) else {}


def _fixed_format_frame(h5: Any, key: str, path: Path) -> dict[str, npt.NDArray[np.float64]]:
    """The columns of a pandas ``HDFStore`` frame in fixed format (``axis0`` the column names,
    ``blockN_items``/``blockN_values`` the columns of one dtype), as float64 arrays."""
    if key not in h5:
        raise ParseError(
            f"no {key} frame in the HDF5 file",
            file=path,
            expected=f"a pandas HDFStore frame {key}",
            found=", ".join(h5.keys()) or "no datasets",
        )
    group = h5[key]
    columns: dict[str, npt.NDArray[np.float64]] = {}
    block = 0
    while f"block{block}_items" in group:
        items = [_text_attr(v) for v in group[f"block{block}_items"][()]]
        values = group[f"block{block}_values"][()]
        if values.ndim != 2 or values.shape[1] != len(items):
            raise ParseError(
                f"block {block} of {key} does not match its column names",
                file=path,
                column=f"{key}/block{block}_values",
                expected=f"{len(items)} columns",
                found=str(values.shape),
            )
        for i, name in enumerate(items):
            columns[name] = np.asarray(values[:, i], dtype=np.float64)
        block += 1
    if not columns:
        raise ParseError(
            f"the {key} frame holds no columns",
            file=path,
            expected="a pandas HDFStore frame in fixed format",
        )
    return columns
