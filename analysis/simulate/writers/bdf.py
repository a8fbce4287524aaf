"""Battery Data Format (BDF) tables, CSV or Parquet: from a cycler trace or from any reader's
canonical table (battery-data-alliance/battery-data-format).

Columns are BDF's preferred labels (``Test Time / s``, ``Voltage / V``, ``Current / A``...) or,
with ``labels=False``, its machine-readable names (``test_time_second``...), in SI units,
positive current charging. Numbers are written with the shortest text that reads back to the
same float (CSV), so a table written and read again is the same table.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.simulate.writers.rows import CyclerRows, write_text

#: BDF preferred label of each canonical column.
BDF_LABELS = {
    "test_time_second": "Test Time / s",
    "voltage_volt": "Voltage / V",
    "current_ampere": "Current / A",
    "unix_time_second": "Unix Time / s",
    "step_time_second": "Step Time / s",
    "cycle_count": "Cycle Count / 1",
    "step_count": "Step Count / 1",
    "step_index": "Step Index / 1",
    "charging_capacity_ah": "Charging Capacity / Ah",
    "discharging_capacity_ah": "Discharging Capacity / Ah",
    "charging_energy_wh": "Charging Energy / Wh",
    "discharging_energy_wh": "Discharging Energy / Wh",
    "temperature_t1_celsius": "Temperature T1 / degC",
}


def bdf_columns(rows: CyclerRows) -> dict[str, npt.NDArray[np.float64]]:
    """The canonical columns of ``rows`` (machine names), per-step counters split by direction."""
    direction = rows.step_direction
    q, e = rows.step_capacity_Ah, rows.step_energy_Wh
    return {
        "test_time_second": rows.test_time_s,
        "voltage_volt": rows.voltage_V,
        "current_ampere": rows.current_A,
        "unix_time_second": rows.unix_time_s,
        "step_time_second": rows.step_time_s,
        "cycle_count": rows.cycle.astype(np.float64),
        "step_count": rows.step_count.astype(np.float64),
        "step_index": rows.step_index.astype(np.float64),
        "charging_capacity_ah": np.where(direction > 0, q, 0.0),
        "discharging_capacity_ah": np.where(direction < 0, q, 0.0),
        "charging_energy_wh": np.where(direction > 0, e, 0.0),
        "discharging_energy_wh": np.where(direction < 0, e, 0.0),
        "temperature_t1_celsius": rows.temperature_C,
    }


def write_bdf(
    path: str | Path,
    table: pd.DataFrame | Mapping[str, npt.ArrayLike] | CyclerRows,
    *,
    labels: bool = True,
) -> Path:
    """Write a canonical table (or cycler rows) as BDF; Parquet when ``path`` ends ``.parquet``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = bdf_columns(table) if isinstance(table, CyclerRows) else table
    names = [c for c in BDF_LABELS if c in columns]
    arrays = {
        (BDF_LABELS[c] if labels else c): np.asarray(columns[c], dtype=np.float64) for c in names
    }
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(arrays), path, compression="zstd")
        return path
    text = {name: pc.cast(pa.array(values), pa.string()) for name, values in arrays.items()}
    return write_text(path, text, line_end="\n")
