"""The analyses a job can run, by kind. Each analyzer validates its parameters, calls the
science in :mod:`analysis` (no database there) and stores the outcome through the ORM.

An analyzer module defines ``ANALYZER`` (or a tuple ``ANALYZERS``); this registry collects them.
"""

from __future__ import annotations

from typing import Any, Protocol

import pandas as pd

from labdb import models as m


class Analyzer(Protocol):
    kind: str
    #: kinds of parsed table (ReadResult.kind) the analysis accepts
    accepts: frozenset[str]

    def validate_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]: ...

    def analyze(self, table: pd.DataFrame, parameters: dict[str, Any]) -> Any: ...

    def store(self, job: m.AnalysisJob, output: Any) -> None: ...

    def to_json(self, output: Any) -> Any:
        """The output as JSON-ready data (hashed to check reproductions)."""
        ...


def _load() -> dict[str, Analyzer]:
    import importlib
    import pkgutil

    from labdb import analyses as package

    found: dict[str, Analyzer] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for analyzer in (getattr(module, "ANALYZER", None), *getattr(module, "ANALYZERS", ())):
            if analyzer is not None:
                found[analyzer.kind] = analyzer
    return found


ANALYZERS: dict[str, Analyzer] = _load()
