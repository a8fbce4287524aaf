"""The protocol check of a result, computed once when the result is stored (pages only read
``AnalysisResult.conformance``). The check itself is :mod:`analysis.conformance`; this module
hands it the run's protocol and the cell's area."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.conformance import check_run
from labdb import models as m


def run_conformance(test_run: m.TestRun, data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The conformance of a pipeline result (``Result.to_json()``) of ``test_run`` against the
    run's protocol as it is now (its kind and parameters are stored with the check); None
    when the protocol kind has no checks for the result's kind."""
    protocol = test_run.protocol
    area = test_run.cell.area_cm2 if test_run.cell_id else None
    checked = check_run(protocol.kind, protocol.parameters or {}, data, area)
    if checked is None:
        return None
    out = checked.to_dict()
    out["protocol"] = {"label": protocol.label, "name": protocol.name}
    return out
