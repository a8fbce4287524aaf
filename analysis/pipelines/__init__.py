"""One pipeline per analysis kind, and the registry that says which exist.

Every analysis runs through here: the Celery job (``labdb.services.jobs``), the command line
(``python -m analysis``), the benchmarks and the tests call :func:`run` (or a
:class:`Pipeline`'s ``run``) and nothing else, so all of them compute the same numbers.

A :class:`Pipeline` states its ``kind``, the reader table kinds it ``accepts``
(``ReadResult.kind``), its parameter object (names with units, defaults, documentation:
:meth:`Pipeline.parameters`) and its ``run(table, params, progress=None) -> Result``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analysis.params import ParameterError, Params, ParamSpec
from analysis.pipelines import cv, cycling, eis, mechanics
from analysis.pipelines.base import Progress, Result

__all__ = [
    "PIPELINES",
    "ParameterError",
    "Pipeline",
    "Progress",
    "Result",
    "get",
    "run",
]


@dataclass(frozen=True)
class Pipeline:
    kind: str
    #: kinds of reader table (``ReadResult.kind``) the pipeline analyses
    accepts: frozenset[str]
    params: type[Params]
    runner: Callable[..., Result] = field(repr=False)
    doc: str
    #: parameter names of earlier versions -> today's (a stored job's parameters stay valid)
    renamed: Mapping[str, str] = field(default_factory=dict)

    def parameters(self) -> tuple[ParamSpec, ...]:
        """Every parameter: name, type, unit, default, documentation."""
        return self.params.specs()

    def validate(self, parameters: Mapping[str, Any]) -> Params:
        """The parameter object for ``parameters`` (JSON-like); raises ParameterError."""
        data = {self.renamed.get(k, k): v for k, v in parameters.items()}
        return self.params.from_mapping(data)

    def run(
        self,
        table: pd.DataFrame,
        params: Params | Mapping[str, Any],
        progress: Progress | None = None,
    ) -> Result:
        """Run the pipeline on a reader's canonical ``table``."""
        if not isinstance(params, self.params):
            params = self.validate(params)  # type: ignore[arg-type]
        return self.runner(table, params, progress)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "accepts": sorted(self.accepts),
            "doc": self.doc,
            "parameters": [p.to_dict() for p in self.parameters()],
        }


def _doc(obj: Any) -> str:
    return (obj.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")


PIPELINES: dict[str, Pipeline] = {
    p.kind: p
    for p in (
        Pipeline("cycling", cycling.ACCEPTS, cycling.CyclingParams, cycling.run, _doc(cycling)),
        Pipeline("eis", eis.ACCEPTS, eis.EISParams, eis.run, _doc(eis)),
        Pipeline(
            "peel",
            frozenset({"peel"}),
            mechanics.PeelParams,
            mechanics.run_peel,
            _doc(mechanics.run_peel),
            renamed={"width_mm": "sample_width_mm"},
        ),
        Pipeline(
            "scratch",
            frozenset({"scratch"}),
            mechanics.ScratchParams,
            mechanics.run_scratch,
            _doc(mechanics.run_scratch),
            renamed={"sections": "sections_mm"},
        ),
        Pipeline(
            "indentation",
            frozenset({"indentation"}),
            mechanics.IndentationParams,
            mechanics.run_indentation,
            _doc(mechanics.run_indentation),
        ),
        Pipeline(
            "cv",
            cv.ACCEPTS,
            cv.CVParams,
            cv.run,
            _doc(cv),
            renamed={"scan_rate_mV_per_s": "scan_rate_mV_s"},
        ),
    )
}


def get(kind: str) -> Pipeline:
    """The pipeline of ``kind``; ``ValueError`` naming the known kinds otherwise."""
    try:
        return PIPELINES[kind]
    except KeyError:
        raise ValueError(f"unknown analysis {kind!r}; known: {sorted(PIPELINES)}") from None


def run(
    kind: str,
    table: pd.DataFrame,
    parameters: Params | Mapping[str, Any],
    progress: Progress | None = None,
) -> Result:
    """Run the ``kind`` pipeline on ``table`` with ``parameters``."""
    return get(kind).run(table, parameters, progress)
