"""The protocol check of a result, computed once when the result is stored (pages only read
``AnalysisResult.conformance``). The check itself is :mod:`analysis.conformance`; this module
hands it the run's protocol and the cell's area.

A job's check runs in its analysis process, next to the result it checks
(:class:`ProtocolCheck`, looked up in the worker, is part of the job's work): the worker then
receives the check and only the per-cycle rows it must write, not the result's whole tables
(``labdb.services.results.StoredOutput.lean``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analysis.conformance import check_run
from labdb import models as m


@dataclass(frozen=True)
class ProtocolCheck:
    """A run's protocol and cell area as a result is checked against them (plain values: the
    job's child, which never touches the database, runs the check)."""

    kind: str
    parameters: dict[str, Any]
    label: str
    name: str
    area_cm2: float | None

    @classmethod
    def of(cls, test_run: m.TestRun) -> ProtocolCheck:
        """The protocol of ``test_run`` as it is now (its kind and parameters are stored with
        the check)."""
        protocol = test_run.protocol
        return cls(
            protocol.kind,
            dict(protocol.parameters or {}),
            protocol.label,
            protocol.name,
            test_run.cell.area_cm2 if test_run.cell_id else None,
        )

    def __call__(self, data: Mapping[str, Any]) -> dict[str, Any] | None:
        """The conformance of a pipeline result (``Result.to_json()``); None when the protocol
        kind has no checks for the result's kind."""
        checked = check_run(self.kind, self.parameters, data, self.area_cm2)
        if checked is None:
            return None
        out = checked.to_dict()
        out["protocol"] = {"label": self.label, "name": self.name}
        return out


def run_conformance(test_run: m.TestRun, data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The conformance of a pipeline result (``Result.to_json()``) of ``test_run`` against the
    run's protocol as it is now (:class:`ProtocolCheck`)."""
    return ProtocolCheck.of(test_run)(data)
