"""The shape every analysis pipeline shares.

A pipeline is ``run(table, params, progress=None) -> Result``: ``table`` is a reader's canonical
table, ``params`` the pipeline's frozen parameter object (:mod:`analysis.params`), ``progress``
an optional callback given the fraction done (pretix's ``set_progress``: the science never
imports the job machinery).

:class:`Result` holds a JSON-ready ``summary``, named ``tables`` (DataFrames small enough to be
written into the JSON as records) and ``series`` (row-level DataFrames such as voltage-profile
curves, stored as Parquet and named in the JSON by a digest of their values).
:meth:`Result.to_json` is the single serialised form: the command line prints it, the job
stores and hashes it, tests compare it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from analysis.serial import LazyRecords, jsonable, records
from analysis.series import (  # noqa: F401 (re-exported: the digests' home was here)
    GROUPED_DIGEST,
    GrownSeries,
    StoredSeries,
    compose_digest,
    group_digests,
    grouped_digest,
    series_digest,
)

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

#: ``progress(fraction)``: fraction of the work done, 0..1.
Progress = Callable[[float], None]


@dataclass(frozen=True)
class Result:
    """What a pipeline returns (see the module docstring)."""

    kind: str
    parameters: Mapping[str, Any]
    summary: Mapping[str, Any]
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    series: Mapping[str, pd.DataFrame | GrownSeries] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    #: the science object the pipeline computed (CyclingResult, a list of spectra, ...), for
    #: callers that format it (the command line's text output); not serialised
    detail: Any = field(default=None, repr=False, compare=False)
    #: how much of an earlier version's analysis was reused (``previous=`` of a pipeline that
    #: can grow: cycling), e.g. ``{"reused": 812, "computed": 9}``; not serialised: the result
    #: is the same as a full analysis's
    reuse: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)
    #: per table or series: how many of its first rows are the first rows of the same-named
    #: output of the earlier analysis it was given (``previous=``), so a store can keep those
    #: stored rows as they are without comparing them; not serialised
    shared_rows: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)
    #: per series: its digest entry when the pipeline computed it (a grouped digest,
    #: :func:`grouped_digest`, made of per-group digests it keeps for the next version);
    #: series not named here get :func:`series_digest`
    digests: Mapping[str, Mapping[str, Any]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def to_json(self, *, lazy_tables: bool = False) -> dict[str, Any]:
        """The one serialised form: JSON-ready (NaN and infinities as null). ``lazy_tables``:
        the tables as :class:`~analysis.serial.LazyRecords` (the same rows, each built when
        asked for) instead of lists, for a caller that needs only some of them as dicts."""
        rows = LazyRecords if lazy_tables else records
        return {
            "kind": self.kind,
            "parameters": jsonable(dict(self.parameters)),
            "summary": jsonable(dict(self.summary)),
            "tables": {name: rows(frame) for name, frame in self.tables.items()},
            "series": {
                name: dict(self.digests[name]) if name in self.digests else _digest(frame)
                for name, frame in self.series.items()
            },
            "warnings": list(self.warnings),
        }

    def frame(self, name: str) -> pd.DataFrame:
        """Series or table ``name`` as one frame (a :class:`GrownSeries` is read whole)."""
        value = {**self.tables, **self.series}[name]
        return value.frame() if isinstance(value, GrownSeries) else value


def _digest(frame: pd.DataFrame | GrownSeries) -> dict[str, Any]:
    if isinstance(frame, GrownSeries):  # its pipeline gives its digest (``Result.digests``)
        raise ValueError("a grown series needs its digest entry in Result.digests")
    return series_digest(frame)


def report(progress: Progress | None, fraction: float) -> None:
    """Call ``progress`` (if given) with ``fraction`` clipped to 0..1."""
    if progress is not None:
        progress(min(1.0, max(0.0, fraction)))
