"""Verifying the blob store and reproducing analysis runs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from analysis import pipelines
from analysis.serial import differences
from analysis.series import series_digest
from labdb import models as m
from labdb.provenance import sha256_of
from labdb.services.parsing import read_data_file
from labdb.storage import (
    BlobCorrupt,
    blob_location,
    check_stored,
    iter_blobs,
    read_blob,
    stored_sha256,
)
from labdb.table_parts import referenced_blobs


def _records_for(sha: str, parts: dict[str, list[str]] | None = None) -> list[str]:
    refs = [
        f"data file {f.original_name} on {f.test_run.label}"
        for f in m.DataFile.objects.filter(sha256=sha).select_related("test_run")
    ]
    refs += [
        f"parsed table of {t.data_file.original_name}"
        for t in m.ParsedTable.objects.filter(sha256=sha).select_related("data_file")
    ]
    refs += [f"attachment {a.original_name}" for a in m.Attachment.objects.filter(sha256=sha)]
    refs += [_result_table_label(t) for t in _result_tables().filter(sha256=sha)]
    refs += [f"part of the {t}" for t in (parts or {}).get(sha, [])]
    return refs


def _result_tables() -> Any:
    return m.ResultTable.objects.select_related("result__job__data_file").only(
        "sha256", "name", "result__kind", "result__job__data_file__original_name"
    )


def _result_table_label(t: m.ResultTable) -> str:
    return f"{t.name} of the {t.result.kind} result of {t.result.job.data_file.original_name}"


def _table_parts() -> dict[str, list[str]]:
    """Blob -> the parsed tables and result tables stored in parts (:mod:`labdb.table_parts`)
    it is a part of: a part kept by later versions of a growing file belongs to each of their
    tables (a damaged part is damage to all of them, repaired once)."""
    found: dict[str, list[str]] = {}
    tables = [
        (t.sha256, f"parsed table of {t.data_file.original_name}")
        for t in m.ParsedTable.objects.select_related("data_file").only(
            "sha256", "data_file__original_name"
        )
    ]
    tables += [(t.sha256, _result_table_label(t)) for t in _result_tables()]
    for sha256, label in tables:
        try:
            names = referenced_blobs(sha256)
        except (BlobCorrupt, OSError, ValueError):
            continue  # the manifest itself is reported (damaged or missing)
        for name in names:
            found.setdefault(name, []).append(label)
    return found


def storage_verify() -> m.StorageCheck:
    """Re-hash every stored blob; record (and return) the files whose content no longer matches
    their sha256, and the referenced blobs that are missing."""
    started = timezone.now()
    problems: list[dict[str, Any]] = []
    parts = _table_parts()
    seen: set[str] = set()
    checked = 0
    for name, stored_name in iter_blobs():
        checked += 1
        seen.add(name)
        actual, location = check_stored(stored_name)
        if actual is None:  # removed since it was listed: reported below if referenced
            seen.discard(name)
            continue
        if actual != name:
            problems.append(
                {
                    "sha256": name,
                    "path": location,
                    "actual_sha256": actual,
                    "problem": "content does not match its sha256",
                    "records": _records_for(name, parts),
                }
            )
    referenced = set(m.DataFile.objects.values_list("sha256", flat=True))
    referenced |= set(m.ParsedTable.objects.values_list("sha256", flat=True))
    referenced |= set(m.Attachment.objects.values_list("sha256", flat=True))
    referenced |= set(m.ResultTable.objects.values_list("sha256", flat=True))
    referenced |= set(parts)
    for sha in sorted(referenced - seen):
        problems.append(
            {
                "sha256": sha,
                "path": blob_location(sha),
                "problem": "missing",
                "records": _records_for(sha, parts),
            }
        )
    return m.StorageCheck.objects.create(
        started_at=started, finished_at=timezone.now(), checked=checked, problems=problems
    )


@dataclass(frozen=True)
class Reproduction:
    job: m.AnalysisJob
    stored_sha256: str
    reproduced_sha256: str
    input_ok: bool
    differences: list[str]

    @property
    def identical(self) -> bool:
        """The same output, bit for bit."""
        return self.input_ok and self.stored_sha256 == self.reproduced_sha256

    @property
    def equivalent(self) -> bool:
        """The same result up to floating-point rounding (:func:`analysis.serial.differences`)."""
        return self.input_ok and not self.differences


def job_reproduce(job: m.AnalysisJob) -> Reproduction:
    """Run ``job``'s analysis again from the stored raw file with the stored parameters and
    compare the output with the one recorded when it ran. The file is read with the reader
    the job was asked for (``job.reader``; "" = detected), not the file's current choice (a
    file read again "as" another format keeps its earlier jobs reproducible); a mixed file
    gives the table of the job's kind; an in-situ EIS job's spectra are tagged from the
    cycling table it named. Every kind is recomputed from the raw file: a dQ/dV job that
    reused its cycling result's curves is checked against a whole recomputation."""
    from labdb.services.insitu import dc_source
    from labdb.services.job_work import pipeline_output

    data_file = job.data_file
    input_ok = stored_sha256(data_file.sha256) == data_file.sha256
    pipeline = pipelines.get(job.kind)
    params = pipeline.validate(job.parameters)
    whole = read_data_file(data_file, reader=job.reader)
    source = whole.part(pipeline.accepts)
    if source is None:
        raise ValueError(
            f"{data_file.original_name} read as {job.reader or 'detected'} holds "
            f"{' and '.join(whole.kinds)} data, not data for the job's {job.kind} analysis"
        )
    metadata = source.summary()["metadata"]
    dc = dc_source(job, getattr(params, "dc_table", None))
    result = pipeline_output(pipeline, params, source.table, metadata, dc)
    output = result.to_json()
    found: list[str] = []
    if not input_ok:
        found.append(f"the raw file {data_file.original_name} no longer matches its sha256")
    stored = job.output_sha256 and stored_sha256(job.output_sha256) == job.output_sha256
    if stored:
        output = _in_stored_digest_forms(output, result, json.loads(read_blob(job.output_sha256)))
    reproduced = sha256_of(output)
    if reproduced == job.output_sha256:
        pass
    elif stored:
        found += differences(json.loads(read_blob(job.output_sha256)), output)
    elif hasattr(job, "result"):  # a job from before the JSON was stored: its metrics
        stored_metrics = job.result.summary.get("metrics", {})
        for key, value in (output["summary"].get("metrics") or {}).items():
            if json.dumps(stored_metrics.get(key)) != json.dumps(value):
                found.append(f"metrics.{key}: stored {stored_metrics.get(key)!r}, now {value!r}")
    return Reproduction(job, job.output_sha256, reproduced, input_ok, found)


def _in_stored_digest_forms(
    output: dict[str, Any], result: pipelines.Result, stored: dict[str, Any]
) -> dict[str, Any]:
    """``output`` with each series digested in the form the stored output used: a result
    stored before a series was digested per group (``analysis.series.GROUPED_DIGEST``, the
    dQ/dV curves since session 11 of docs/live.md) names it by the first form's digest, which
    is computed again from the reproduced series, so that an old result still reproduces bit
    for bit."""
    series = dict(output["series"])
    for name, entry in (stored.get("series") or {}).items():
        ours = series.get(name)
        if isinstance(entry, dict) and "digest" not in entry and ours and "digest" in ours:
            series[name] = series_digest(result.frame(name))
    return {**output, "series": series}
