"""Cells of a small study written in the tests: replicate half cells with known CE, protocol
deviations and instrument accuracy, ingested through the normal pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tests.labdb.web.conftest import blobs, cycling, ingest, make_run  # noqa: F401


def half_cell_csv(
    ces: Sequence[float],
    *,
    area_cm2: float = 0.785,
    density: Sequence[float] | None = None,
    plated_h: Sequence[float] | None = None,
    temperature: Sequence[float] | None = None,
) -> bytes:
    """A half-cell record in Battery Data Format CSV: per cycle, plating then stripping with
    the given CE, at ``density`` mA/cm2 (default 1) for ``plated_h`` hours (default 1), at
    ``temperature`` degC when given; the cycler's per-step counters make capacities exact."""
    n = len(ces)
    density = list(density) if density is not None else [1.0] * n
    plated_h = list(plated_h) if plated_h is not None else [1.0] * n
    rows = []
    t = 0.0
    for k, ce in enumerate(ces):
        i = density[k] * 1e-3 * area_cm2
        for sign, duration in ((-1, 3600.0 * plated_h[k]), (1, 3600.0 * plated_h[k] * ce)):
            for s in np.append(np.arange(0.0, duration, 60.0), duration):
                v = -0.02 if sign < 0 else 0.02
                q = i * s / 3600.0
                charge, discharge = (q, 0.0) if sign > 0 else (0.0, q)
                row = f"{t + s:.1f},{v:.4f},{sign * i:.6e},{charge:.9e},{discharge:.9e}"
                if temperature is not None:
                    row += f",{temperature[k]:.2f}"
                rows.append(row)
            t += duration + 60.0
    header = (
        "test_time_second,voltage_volt,current_ampere,charging_capacity_ah,discharging_capacity_ah"
    )
    if temperature is not None:
        header += ",temperature_t1_celsius"
    return (header + "\n" + "\n".join(rows) + "\n").encode()


def run_on(project: Any, user: Any, cell: str, protocol: str = "PS-1mA-1mAh", **kw: Any) -> Any:
    return make_run(project, user, f"{cell}-PS-{kw.pop('suffix', 'A')}", cell, protocol, **kw)
