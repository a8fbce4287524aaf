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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError

from labdb import models as m
from labdb.services.audit import audit


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
