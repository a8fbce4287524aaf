"""Analyses that follow another on the same file: a cycling file's dQ/dV and dV/dQ.

dQ/dV is its own analysis kind (``dqdv``, :func:`analysis.pipelines.cv.run_dqdv`) rather than
part of the cycling result, so its parameters (binning, smoothing, peak rules) are stated and
stored by its own job, a change of them re-runs only dQ/dV, and the cycling result's JSON and
hash stay what they were. When a cycling job succeeds with at least one voltage profile, the
same file gets a ``dqdv`` job with the cycling job's ``cell_type`` (the same half- or full-cell
convention), read with the cycling job's reader (a file read again "as bdf" gets a dQ/dV of
that reading; the follow-on of the detected reading stays; a reading asked for again,
``repeat`` n, gets its own dQ/dV of the same ``repeat``), and the pipeline's defaults otherwise.

Idempotent: the job is asked for through :func:`labdb.services.jobs.job_request`, whose key
(file, kind, code version, parameters) finds the existing job, so a cycling job finished twice
or re-run with another area asks for nothing new; one re-run with another ``cell_type`` gets
the dQ/dV of that convention. A dQ/dV job of the user's own (other parameters) is kept as it is.

A dQ/dV job does not run the cycling analysis again when the file's cycling result it needs is
stored (:func:`cycling_source`): it reads that result's ``profiles`` series and
``half_cycles`` table (verified blobs) instead of reading the file and segmenting it again,
and names them in its ``input_sha256`` and its ``analysis.succeeded`` audit entry
(``cycling_job``): :func:`cycling_result_used` and :func:`jobs_reusing` read that entry back
(the PROV export links the dQ/dV run to the cycling result it used). The result is the same as recomputing (``manage.py reproduce`` of a dQ/dV
job recomputes from the raw file and compares). Without such a result (a dQ/dV asked for with
other options, a cycling result of other code), the job reads the file and analyses it whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from analysis import pipelines
from analysis.cycling import CyclingParameters
from labdb import models as m
from labdb.services.audit import audit
from labdb.storage import BlobCorrupt
from labdb.table_parts import read_table

if TYPE_CHECKING:
    from analysis.pipelines.cv import CyclingCurves


def _has_profiles(data: Mapping[str, Any]) -> bool:
    profiles = (data.get("series") or {}).get("profiles") or {}
    return int(profiles.get("rows") or 0) > 0


def follow_on_parameters(job: m.AnalysisJob, data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The parameters of the ``dqdv`` job that follows ``job`` (whose pipeline JSON is
    ``data``), or None when none follows: not a cycling job, or no half-cycle with current
    (nothing to differentiate)."""
    if job.kind != "cycling" or not _has_profiles(data):
        return None
    cell_type = (job.parameters or {}).get("cell_type")
    return {"cell_type": cell_type} if cell_type else None


def follow_on_jobs_request(
    job: m.AnalysisJob,
    data: Mapping[str, Any],
    *,
    job_request: Callable[..., tuple[m.AnalysisJob, bool]],
) -> m.AnalysisJob | None:
    """Ask for the ``dqdv`` job following the succeeded ``job`` (call inside the transaction
    that records its success, so both commit together) through ``job_request``
    (:func:`labdb.services.jobs.job_request`, passed in: jobs calls this module); returns it,
    or None. A refusal (the pipeline rejects the parameters) is recorded in the audit log,
    never fails ``job``."""
    params = follow_on_parameters(job, data)
    if params is None:
        return None
    try:
        follow, created = job_request(
            data_file=job.data_file,
            kind="dqdv",
            parameters=params,
            user=None,
            reader=job.reader,
            repeat=job.repeat,
        )
    except ValidationError as exc:
        audit(
            project=job.project,
            action="analysis.refused",
            user=None,
            target=job.data_file,
            details={"reason": "; ".join(exc.messages), "kind": "dqdv", "after": str(job.pk)},
        )
        return None
    if created:
        audit(
            project=job.project,
            action="analysis.follows",
            user=None,
            target=follow,
            details={"kind": "dqdv", "after_job": str(job.pk), "after_kind": job.kind},
        )
    return follow


@dataclass(frozen=True)
class CyclingSource:
    """The stored cycling result a dQ/dV job reuses (looked up before the job's child starts:
    the child has no database): the cycling job, the sha256 of its ``profiles`` series and
    ``half_cycles`` table, its warnings, and its parsed-table record (the same file read by
    the same reader: the dQ/dV job records it as its own)."""

    job_id: str
    profiles_sha256: str
    half_cycles_sha256: str
    warnings: tuple[str, ...]
    parsed: dict[str, Any]

    def provenance(self) -> dict[str, Any]:
        return {
            "cycling_job": self.job_id,
            "profiles_sha256": self.profiles_sha256,
            "half_cycles_sha256": self.half_cycles_sha256,
        }


def _same_curves(cycling_parameters: Mapping[str, Any], cell_type: str) -> bool:
    """Whether a cycling job with ``cycling_parameters`` segments the table as the ``dqdv``
    pipeline's own cycling analysis does: the same cell type and the default analysis
    options. The area and the protocol's 1C (areal and C-rate columns) do not enter the
    half-cycles, their voltage profiles or the warnings."""
    try:
        params = pipelines.get("cycling").validate(cycling_parameters)
    except (pipelines.ParameterError, ValueError):
        return False
    options = getattr(params, "options", None)
    return getattr(params, "cell_type", None) == cell_type and options == CyclingParameters()


def cycling_source(job: m.AnalysisJob) -> CyclingSource | None:
    """For a ``dqdv`` job, the succeeded cycling job of the same file, reader, analysis
    version and code commit whose parameters give the same curves (:func:`_same_curves`),
    with its stored ``profiles`` and ``half_cycles``; None otherwise (the job then analyses
    the file itself)."""
    if job.kind != "dqdv":
        return None
    cell_type = (job.parameters or {}).get("cell_type")
    candidates = m.AnalysisJob.objects.filter(
        data_file_id=job.data_file_id,
        kind="cycling",
        reader=job.reader,
        analysis_version=job.analysis_version,
        code_commit=job.code_commit,
        status=m.AnalysisJob.Status.SUCCEEDED,
        parsed_table__isnull=False,
    ).order_by("finished_at")
    for cycling in candidates.select_related("parsed_table"):
        if not _same_curves(cycling.parameters, str(cell_type)):
            continue
        tables = dict(
            m.ResultTable.objects.filter(
                result_id=cycling.pk, name__in=("profiles", "half_cycles")
            ).values_list("name", "sha256")
        )
        result = m.AnalysisResult.objects.filter(pk=cycling.pk).values("summary").first()
        if len(tables) < 2 or result is None:
            continue
        t = cycling.parsed_table
        assert t is not None  # filtered above
        parsed = {
            "sha256": t.sha256,
            "parser": t.parser,
            "parser_version": t.parser_version,
            "kind": t.kind,
            "format": t.format,
            "rows": t.rows,
            "columns": t.columns,
            "warnings": t.warnings,
            "metadata": t.metadata,
        }
        warnings = tuple(str(w) for w in result["summary"].get("warnings") or ())
        return CyclingSource(
            str(cycling.pk), tables["profiles"], tables["half_cycles"], warnings, parsed
        )
    return None


def cycling_curves(source: CyclingSource | None) -> CyclingCurves | None:
    """The ``dqdv`` pipeline's ``cycling`` option read from the stored blobs of ``source``;
    None when there is none or a stored copy cannot be read (the job then analyses the file:
    the same result, only slower)."""
    if source is None:
        return None
    from analysis.pipelines import cv

    try:
        profiles = read_table(source.profiles_sha256, verify=True)
        half_cycles = read_table(
            source.half_cycles_sha256, ["half_cycle", "cycle", "kind"], verify=True
        )
    except (BlobCorrupt, OSError, ValueError):
        return None
    return cv.CyclingCurves(profiles, half_cycles, source.warnings)


def cycling_result_used(job: m.AnalysisJob) -> m.AnalysisResult | None:
    """The stored cycling result whose curves the ``dqdv`` ``job`` read instead of the file,
    as its ``analysis.succeeded`` audit entry names it (``cycling_job``); None when it read
    the file (or is not a dQ/dV job)."""
    if job.kind != "dqdv":
        return None
    entry = (
        m.HistoryEntry.objects.filter(
            record_type="analysisjob",
            record_id=job.pk,
            action="analysis.succeeded",
            changes__has_key="cycling_job",
        )
        .order_by("-at")
        .values_list("changes", flat=True)
        .first()
    )
    if entry is None:
        return None
    return m.AnalysisResult.objects.filter(pk=entry["cycling_job"]).first()


def jobs_reusing(result: m.AnalysisResult) -> list[m.AnalysisJob]:
    """The ``dqdv`` jobs that read the curves of the cycling ``result`` (the inverse of
    :func:`cycling_result_used`)."""
    if result.kind != "cycling":
        return []
    ids = m.HistoryEntry.objects.filter(
        record_type="analysisjob",
        action="analysis.succeeded",
        changes__cycling_job=str(result.pk),
    ).values_list("record_id", flat=True)
    return list(m.AnalysisJob.objects.filter(pk__in=list(ids), kind="dqdv"))
