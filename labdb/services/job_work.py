"""What an analysis job's child process computes: read the file (or the cycling result's stored
curves), run the kind's pipeline, write the result's blobs.

:class:`AnalysisWork` holds everything the worker looked up in the database for the job (the
job and its file, the pipeline and its parameters, the earlier version's table, memo and
outputs, an in-situ link's DC table), so the child never touches the database. It is a plain
object of picklable values, not a closure: a child that serves several jobs in turn
(:mod:`labdb.services.execution`) receives it through a pipe; a child forked for one job
inherits it.
"""

from __future__ import annotations

import fnmatch
import os
import time
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from analysis import pipelines
from labdb import models as m
from labdb.services.conformance import ProtocolCheck
from labdb.services.follow_on import CyclingSource, cycling_curves
from labdb.services.growing import PreviousMemo, memo_options, output_store_continued
from labdb.services.insitu import DCSource, tagged_table
from labdb.services.parsing import PreviousTable, read_data_file, store_parsed
from labdb.services.results import StoredOutput

#: what the child returns: the parsed table's record, the stored result, the timings and what
#: an incremental analysis reused (or :class:`OtherKinds`)
Done = tuple[dict[str, Any], StoredOutput, dict[str, float], dict[str, Any]]


@dataclass(frozen=True)
class OtherKinds:
    """What the child returns for a file that holds no table of the job's kind: its kinds."""

    kinds: tuple[str, ...]


@dataclass(frozen=True)
class AnalysisWork:
    """The child's work for one job (see the module docstring). A file that gives several
    tables (a mixed BioLogic run: cycling and spectra) is analysed on the table of the job's
    kind; the parsed record names that table's kind and the file's other kinds. A file that
    extends an earlier one (growing data) is read from the earlier file's parsed table plus its
    new lines where that is exact (:func:`labdb.services.parsing.read_data_file`). A dQ/dV job
    whose file has the cycling result it needs reads that result's stored curves instead of
    the file (:func:`labdb.services.follow_on.cycling_source`)."""

    job: m.AnalysisJob
    known_tables: dict[tuple[str, str, str], str]
    pipeline: pipelines.Pipeline
    params: Any
    previous: PreviousTable | None
    dc: DCSource | None
    memo: PreviousMemo | None
    earlier_outputs: dict[str, str]
    reused: CyclingSource | None
    #: the run's protocol check, made here (``StoredOutput.lean``); None: by the worker
    protocol_check: ProtocolCheck | None = None

    def __call__(self, progress: Any) -> Done | OtherKinds:
        job, pipeline, params, memo = self.job, self.pipeline, self.params, self.memo
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        _injected_delay(job.data_file.original_name)
        # a dQ/dV job reads the stored curves of the file's cycling result, not the file
        curves = cycling_curves(self.reused)
        if curves is not None and self.reused is not None:
            options, incremental = memo_options(memo)
            timings["read_s"] = time.perf_counter() - t0
            t1 = time.perf_counter()
            output = pipeline.run(
                pd.DataFrame(),
                params,
                lambda f: progress(0.3 + 0.6 * f),
                cycling=curves,
                **options,
            )
            timings["analyze_s"] = time.perf_counter() - t1
            _reuse_timings(timings, output, incremental)
            t2 = time.perf_counter()
            stored = self._lean(output_store_continued(output, self.earlier_outputs, memo, options))
            timings["store_blobs_s"] = time.perf_counter() - t2
            return (
                dict(self.reused.parsed),
                stored,
                timings,
                {**self.reused.provenance(), **incremental},
            )
        # verifies the stored bytes first; reads with the reader the job was asked for
        whole = read_data_file(job.data_file, self.previous, reader=job.reader)
        source = whole.part(pipeline.accepts)
        if source is None:
            return OtherKinds(tuple(whole.kinds))
        metadata = source.summary()["metadata"]
        table_sha = self.known_tables.get(
            (source.parser, source.parser_version, source.kind)
        ) or store_parsed(source.table, metadata, self.previous)
        others = [k for k in whole.kinds if k != source.kind]
        if others:
            metadata["other_tables"] = others
        parsed = {
            "sha256": table_sha,
            "parser": source.parser,
            "parser_version": source.parser_version,
            "kind": source.kind,
            "format": source.format,
            "rows": len(source.table),
            "columns": [str(c) for c in source.table.columns],
            "warnings": list(source.warnings),
            "metadata": metadata,
        }
        timings["read_s"] = time.perf_counter() - t0
        progress(0.3)
        t1 = time.perf_counter()
        options, incremental = memo_options(memo)
        output = pipeline_output(
            pipeline,
            params,
            source.table,
            metadata,
            self.dc,
            lambda f: progress(0.3 + 0.6 * f),
            options,
        )
        timings["analyze_s"] = time.perf_counter() - t1
        _reuse_timings(timings, output, incremental)
        t2 = time.perf_counter()
        stored = self._lean(output_store_continued(output, self.earlier_outputs, memo, options))
        timings["store_blobs_s"] = time.perf_counter() - t2
        return parsed, stored, timings, incremental

    def _lean(self, stored: StoredOutput) -> StoredOutput:
        return stored if self.protocol_check is None else stored.lean(self.protocol_check)


def _injected_delay(name: str) -> None:
    """Fault injection for the chaos suite (docs/reliability.md): with
    ``LABDB_FAULT_SLOW_JOBS="GLOB=SECONDS"`` in a worker's environment, a job on a file whose
    name matches GLOB sleeps SECONDS inside its supervised attempt, so a job longer than the
    time limit does not depend on the machine's speed. Unset (always, outside tests), nothing."""
    spec = os.environ.get("LABDB_FAULT_SLOW_JOBS", "")
    if "=" in spec:
        pattern, seconds = spec.rsplit("=", 1)
        if fnmatch.fnmatchcase(name, pattern):
            time.sleep(float(seconds))


def _reuse_timings(
    timings: dict[str, float], output: pipelines.Result, incremental: dict[str, Any]
) -> None:
    """How much of the earlier version's analysis an incremental one reused (per half-cycle
    values for cycling, half-cycles for dQ/dV), in the job's timings."""
    if incremental:
        timings["reused_half_cycle_values"] = float(output.reuse.get("reused", 0))
        timings["computed_half_cycle_values"] = float(output.reuse.get("computed", 0))


def pipeline_output(
    pipeline: pipelines.Pipeline,
    params: Any,
    table: pd.DataFrame,
    metadata: dict[str, Any],
    dc: DCSource | None,
    progress: Any = None,
    options: dict[str, Any] | None = None,
) -> pipelines.Result:
    """The pipeline's result on a file's ``table`` (of ``metadata``): an EIS table of an
    in-situ run tagged from its cycling table ``dc`` first (the link in the summary, its
    warnings first). What a job computes and ``reproduce`` computes again."""
    link, link_warnings = None, list[str]()
    if dc is not None:
        table, link, link_warnings = tagged_table(
            table, metadata, dc, getattr(params, "eis_start", None)
        )
    output = pipeline.run(table, params, progress, **(options or {}))
    if link is not None:
        summary = {**output.summary, "in_situ_link": link}
        output = replace(output, summary=summary, warnings=(*link_warnings, *output.warnings))
    return output
