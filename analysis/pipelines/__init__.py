"""One pipeline per analysis kind, and the registry that says which exist.

Every analysis runs through here: the Celery job (``labdb.services.jobs``), the command line
(``python -m analysis``), the benchmarks and the tests call :func:`run` (or a
:class:`Pipeline`'s ``run``) and nothing else, so all of them compute the same numbers.

A :class:`Pipeline` states its ``kind``, the reader table kinds it ``accepts``
(``ReadResult.kind``), its parameter object (names with units, defaults, documentation:
:meth:`Pipeline.parameters`) and its ``run(table, params, progress=None) -> Result``.

The registry imports a pipeline's module (and with it scipy and the science) the first time
that kind is asked for, so a process that only validates or lists parameters of one kind, or
reads a file, does not pay for the others; :func:`preload` imports them all (web and worker
processes call it at start-up rather than during a user's first request).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from analysis.params import ParameterError, Params, ParamSpec
from analysis.pipelines.base import Progress, Result

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

__all__ = [
    "PIPELINES",
    "ParameterError",
    "Pipeline",
    "Progress",
    "Result",
    "get",
    "preload",
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
        **options: Any,
    ) -> Result:
        """Run the pipeline on a reader's canonical ``table``. ``options``: what the kind's
        runner takes besides (cycling, dqdv: ``previous``, the earlier version's memo)."""
        if not isinstance(params, self.params):
            params = self.validate(params)  # type: ignore[arg-type]
        return self.runner(table, params, progress, **options)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "accepts": sorted(self.accepts),
            "doc": self.doc,
            "parameters": [p.to_dict() for p in self.parameters()],
        }


def _doc(obj: Any) -> str:
    return (obj.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")


@dataclass(frozen=True)
class _Entry:
    """Where a pipeline lives: module of analysis.pipelines, parameter class, run function
    (whose module, or function for the mechanics kinds, documents it)."""

    module: str
    params: str
    runner: str
    accepts: frozenset[str]
    renamed: Mapping[str, str] = field(default_factory=dict)
    doc_from_runner: bool = False


_ENTRIES: dict[str, _Entry] = {
    "cycling": _Entry("cycling", "CyclingParams", "run", frozenset({"cycling"})),
    "eis": _Entry("eis", "EISParams", "run", frozenset({"eis"})),
    "peel": _Entry(
        "mechanics",
        "PeelParams",
        "run_peel",
        frozenset({"peel"}),
        {"width_mm": "sample_width_mm"},
        doc_from_runner=True,
    ),
    "scratch": _Entry(
        "mechanics",
        "ScratchParams",
        "run_scratch",
        frozenset({"scratch"}),
        {"sections": "sections_mm"},
        doc_from_runner=True,
    ),
    "indentation": _Entry(
        "mechanics", "IndentationParams", "run_indentation", frozenset({"indentation"}), {}, True
    ),
    "cv": _Entry(
        "cv",
        "CVParams",
        "run",
        frozenset({"cv", "cycling"}),
        {"scan_rate_mV_per_s": "scan_rate_mV_s"},
    ),
    "dqdv": _Entry("cv", "DQDVParams", "run_dqdv", frozenset({"cycling"}), {}, True),
}


class _Registry(Mapping[str, Pipeline]):
    """kind -> :class:`Pipeline`, each built (its module imported) on first use."""

    def __init__(self) -> None:
        self._built: dict[str, Pipeline] = {}

    def __getitem__(self, kind: str) -> Pipeline:
        if kind not in self._built:
            entry = _ENTRIES[kind]
            module = importlib.import_module(f"{__name__}.{entry.module}")
            runner = getattr(module, entry.runner)
            self._built[kind] = Pipeline(
                kind,
                entry.accepts,
                getattr(module, entry.params),
                runner,
                _doc(runner if entry.doc_from_runner else module),
                entry.renamed,
            )
        return self._built[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(_ENTRIES)

    def __len__(self) -> int:
        return len(_ENTRIES)


PIPELINES: Mapping[str, Pipeline] = _Registry()


def preload() -> None:
    """Import every pipeline and every reader now (start-up of web and worker processes).
    A worker's pool children are forked from the process that called this, so a job does not
    import the readers, pyarrow's CSV and pandas conversion modules on its own (measured: a
    small file's first job 1.2 s against 0.5 s for the next, on a loaded machine)."""
    import importlib

    from analysis.readers.base import registry

    # the text readers' parser; tables to and from pandas (imported lazily by pyarrow)
    for module in ("pyarrow.csv", "pyarrow.pandas_compat", "pyarrow.vendored.version"):
        importlib.import_module(module)

    for kind in PIPELINES:
        PIPELINES[kind]
    registry()


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
