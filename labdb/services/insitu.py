"""In-situ spectra of one file tagged from the cycling file of the same test run.

A Gamry sequence writes each technique to its own file: the spectra (``.DTA``, with their start
time and each point's time) and the cycling. When both are files of one test run, the EIS
analysis tags each spectrum with its half-cycle, plating/stripping state, the charge passed
since the half-cycle began and the cycle, by placing the spectra on the cycling file's clock
(:mod:`analysis.eis.insitu_link`, docs/eis.md "In-situ EIS from two files").

The link is the EIS job's parameter ``dc_table`` (the sha256 of the cycling table), so a job
names the table it was tagged from and sending the same files again asks for nothing new:

- when an EIS job without ``dc_table`` succeeds on a file whose spectra carry a start time,
  and the run already has a cycling table with a wall clock, the same analysis is asked for
  with ``dc_table`` = that table (the newest);
- when a cycling job succeeds later, every EIS file of the run whose spectra carry a start time
  gets the analysis of its newest EIS job again with ``dc_table`` = the new table, unless that
  job already names it (re-tagging, idempotent: :func:`labdb.services.jobs.job_request` finds
  an existing job for the same parameters).

A file that records no start (Autolab NOVA's ASCII export) is linked when its EIS job was
asked for with ``eis_start`` (the wall clock of its time 0, given by the user); the start
"carried" above is then that parameter.

Mixed BioLogic files tag their own spectra and are left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd

from analysis.eis.insitu_link import cycling_start_unix, eis_start_unix, link_spectra
from labdb import models as m
from labdb.table_parts import read_table


@dataclass(frozen=True)
class DCSource:
    """The cycling table an EIS job is tagged from, looked up by the worker before the job's
    child process starts (the child has no database)."""

    sha256: str
    metadata: dict[str, Any]
    original_name: str


def dc_source(job: m.AnalysisJob, dc_table: str | None) -> DCSource | None:
    """The cycling table ``dc_table`` of the job's test run; ``ValueError`` naming it when the
    run has no such table."""
    if job.kind != "eis" or not dc_table:
        return None
    table = (
        m.ParsedTable.objects.filter(
            sha256=dc_table, kind="cycling", data_file__test_run_id=job.data_file.test_run_id
        )
        .select_related("data_file")
        .first()
    )
    if table is None:
        raise ValueError(
            f"dc_table: no cycling table {dc_table[:12]}... among the files of test run "
            f"{job.data_file.test_run}"
        )
    return DCSource(table.sha256, dict(table.metadata), table.data_file.original_name)


def tagged_table(
    eis: pd.DataFrame, eis_metadata: dict[str, Any], source: DCSource, eis_start: str | None = None
) -> tuple[pd.DataFrame, dict[str, Any], list[str]]:
    """The EIS table tagged from ``source`` (runs in the job's child), the link's summary and
    its warnings; the table unchanged, with the reason as a warning, when it cannot be placed.
    ``eis_start``: the EIS job's parameter of that name (a start the file does not record)."""
    cycling = read_table(source.sha256)
    about: dict[str, Any] = {"cycling_file": source.original_name, "cycling_table": source.sha256}
    c0 = cycling_start_unix(cycling, source.metadata)
    if c0 is None:
        why = f"{source.original_name} records no wall-clock time"
        return eis, {**about, "linked": False, "reason": why}, [f"spectra not tagged: {why}"]
    start, how = eis_start_unix(eis_metadata, eis, cycling, c0, eis_start)
    if start is None:
        return eis, {**about, "linked": False, "reason": how}, [f"spectra not tagged: {how}"]
    link = link_spectra(eis, start, cycling, c0)
    summary = {**about, "linked": True, "start": how, **link.summary()}
    return link.table, summary, list(link.warnings)


def _has_clock(table: m.ParsedTable) -> bool:
    return "unix_time_second" in table.columns or "start_unix_time_second" in table.metadata


def _has_start(table: m.ParsedTable, given: str | None = None) -> bool:
    """Whether the spectra can be placed in time: a start from the file (or ``given``, an EIS
    job's ``eis_start``) and a time per point; never for a mixed file (tagged by its reader)."""
    meta = table.metadata or {}
    placed = bool(given) or "start_unix_time_second" in meta or "start_unix_time_candidates" in meta
    return placed and "time_second" in table.columns and "mixed" not in meta


def _given_start(data_file: m.DataFile) -> str | None:
    """The ``eis_start`` of the file's newest EIS job (None without one)."""
    last = data_file.jobs.filter(kind="eis").order_by("-queued_at").first()
    return (last.parameters or {}).get("eis_start") if last is not None else None


def linked_eis_requests(
    job: m.AnalysisJob,
    table: m.ParsedTable,
    *,
    job_request: Callable[..., Any],
    cell_parameters: Callable[[m.TestRun, str], dict[str, Any]],
) -> None:
    """After ``job`` succeeded on ``table``: the EIS analyses its test run's in-situ link asks
    for (module docstring). Runs in the job's storing transaction. ``job_request`` and
    ``cell_parameters`` are :mod:`labdb.services.jobs`' own (passed in: jobs calls this
    module)."""
    ask = partial(_request, job_request=job_request, cell_parameters=cell_parameters)
    run_id = job.data_file.test_run_id
    if table.kind == "cycling" and _has_clock(table):
        others = m.ParsedTable.objects.filter(data_file__test_run_id=run_id, kind="eis").exclude(
            data_file_id=job.data_file_id
        )
        for eis in others.select_related("data_file"):
            if _has_start(eis, _given_start(eis.data_file)):
                ask(eis.data_file, table.sha256)
    elif (
        table.kind == "eis"
        and not job.parameters.get("dc_table")
        and _has_start(table, job.parameters.get("eis_start"))
    ):
        cycling = m.ParsedTable.objects.filter(
            data_file__test_run_id=run_id, kind="cycling"
        ).exclude(data_file_id=job.data_file_id)
        newest = next((t for t in cycling.order_by("-created_at") if _has_clock(t)), None)
        if newest is not None:
            ask(job.data_file, newest.sha256)


def _request(
    data_file: m.DataFile,
    dc_table: str,
    *,
    job_request: Callable[..., Any],
    cell_parameters: Callable[[m.TestRun, str], dict[str, Any]],
) -> None:
    last = data_file.jobs.filter(kind="eis").order_by("-queued_at").first()
    base = dict(last.parameters) if last is not None else {}
    if not base:
        base = cell_parameters(data_file.test_run, "eis")
    if base.get("dc_table") == dc_table:
        return
    job_request(
        data_file=data_file, kind="eis", parameters={**base, "dc_table": dc_table}, user=None
    )
