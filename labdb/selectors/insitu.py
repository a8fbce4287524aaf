"""Reads for in-situ EIS (the paper's Fig. 5): the spectra of a run named by where they sit in
the plating/stripping (``plating 3``, ``stripping 5``), and the DC voltage of the same file
from its cycling result (a mixed BioLogic file gives both results, each naming its table)."""

from __future__ import annotations

from typing import Any

import numpy as np

from labdb import models as m
from labdb.selectors.results import cached, raw_table


def insitu_labels(fits: list[m.EISSpectrumFit]) -> list[str]:
    """``<state> <k>`` for each spectrum, k counting the spectra of its half-cycle from 1 (the
    paper's "Li plating sequences 1-6 and Li stripping sequences 1-5"); the in-situ sequence
    (else the spectrum number) for spectra without a DC state."""
    out = []
    count: dict[tuple[Any, str], int] = {}
    for f in fits:
        if f.state:
            key = (f.half_cycle, f.state)
            count[key] = count.get(key, 0) + 1
            out.append(f"{f.state} {count[key]}")
        else:
            out.append(str(f.sequence if f.sequence is not None else f.spectrum))
    return out


def dc_result(eis: m.AnalysisResult) -> m.AnalysisResult | None:
    """The newest cycling result of the file an in-situ EIS result was computed from."""
    return (
        m.AnalysisResult.objects.filter(kind="cycling", job__data_file_id=eis.job.data_file_id)
        .select_related("job__parsed_table")
        .order_by("-created_at")
        .first()
    )


def dc_voltage(eis: m.AnalysisResult) -> tuple[Any, Any] | None:
    """(time in h, voltage in V) of the DC rows of the in-situ run's file, from the table its
    cycling result was computed from; None when the file has no cycling result."""
    cycling = dc_result(eis)
    if cycling is None or cycling.job.parsed_table is None:
        return None

    def compute() -> tuple[Any, Any]:
        table = raw_table(cycling, ["test_time_second", "voltage_volt"])
        if table is None:
            return np.array([]), np.array([])
        return table["test_time_second"].to_numpy(float) / 3600.0, table["voltage_volt"].to_numpy(
            float
        )

    return cached(f"dc-voltage:{cycling.job.parsed_table.sha256}", compute)  # type: ignore[no-any-return]
