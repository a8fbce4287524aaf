"""Growing data: a file the instrument is still writing arrives as successive versions.

A new file of a test run whose bytes *extend* an earlier file of the same run (the earlier
file's bytes are a prefix of the new one's) is recorded as the next version of that file:
``DataFile.extends`` points to the earlier file and ``DataFile.version`` counts up. Both stay
immutable and content-addressed; the newer one holds the whole content, never a diff.

The server decides the link itself, from the sha256 of the prefix, whatever the client says:
:func:`labdb.storage.store_chunks` takes the running sha256 at the sizes of the run's candidate
files in the same pass that hashes and stores the upload (one sha256 pass, no second read),
and the largest candidate whose sha256 equals the prefix's at its size is the one extended.

Clients that follow a growing file (the harvester) send only the appended bytes with the file
they extend (:func:`store_appended_version`): the server builds the full content from its own
stored copy of the earlier file plus the new bytes, checks it against the sha256 the client
declared for the whole file, and stores it like any other upload; where the earlier file kept
its running sha256's state only the new bytes are hashed. See docs/live.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pandas as pd

from analysis.pipelines import Result
from analysis.series import StoredSeries
from labdb import models as m
from labdb.services.results import StoredOutput, output_store
from labdb.storage import (
    BLOCK_BYTES,
    BlobCorrupt,
    StoredBlob,
    blob_exists,
    block_digests,
    open_blob,
    read_chunks,
    store_appended,
    store_chunks,
)
from labdb.table_parts import read_table, table_parts


class BaseMismatch(ValueError):
    """An append names a base file, or a base size, that the server does not hold."""


def _heads(test_run: m.TestRun) -> list[m.DataFile]:
    """The run's files that no other file extends yet (the latest version of each)."""
    return list(m.DataFile.objects.filter(test_run=test_run, extended_by__isnull=True))


@dataclass
class Extension:
    """Finds the earlier file a new upload extends (see the module docstring)."""

    candidates: list[m.DataFile]

    @classmethod
    def for_run(cls, test_run: m.TestRun, base: m.DataFile | None = None) -> Extension:
        candidates = _heads(test_run)
        if base is not None and all(c.pk != base.pk for c in candidates):
            candidates.append(base)
        return cls(candidates)

    @property
    def prefix_sizes(self) -> list[int]:
        """The sizes at which the upload's running sha256 is taken (``store_chunks``)."""
        return [c.size_bytes for c in self.candidates]

    def extended(self, blob: StoredBlob) -> m.DataFile | None:
        """The largest candidate whose bytes are a proper prefix of the stored content (its
        sha256 is the content's ``prefix_sha256`` at its size)."""
        found = [
            c
            for c in self.candidates
            if c.size_bytes < blob.size_bytes
            and c.sha256 != blob.sha256
            and blob.prefix_sha256.get(c.size_bytes) == c.sha256
        ]
        return max(found, key=lambda c: (c.size_bytes, c.version), default=None)


def version_blocks(blob: StoredBlob, extends: m.DataFile | None) -> dict[str, Any]:
    """The block digests (``DataFile.block_sha256``) of a new file ``blob`` that extends the
    file ``extends``: that file's whole blocks are this one's first blocks (its bytes are this
    content's prefix, shown by the prefix's sha256), so their digests are taken from its list
    and only the blocks from there on are hashed (read back from the store, which holds the
    verified bytes). The first version that extends a file without a list hashes all its
    blocks once. Empty for a file that extends nothing, and on an object store."""
    if extends is None:
        return {}
    earlier = extends.block_sha256 or {}
    kept: list[str] = []
    if earlier.get("block_bytes") == BLOCK_BYTES:
        whole = extends.size_bytes // BLOCK_BYTES
        if len(earlier.get("sha256") or []) == -(-extends.size_bytes // BLOCK_BYTES):
            kept = list(earlier["sha256"][:whole])
    rest = block_digests(blob.sha256, len(kept))
    if rest is None:
        return {}
    return {"block_bytes": BLOCK_BYTES, "sha256": kept + rest}


def store_appended_version(
    base: m.DataFile,
    offset: int,
    appended: Iterable[bytes],
    *,
    expected_sha256: str | None,
    max_bytes: int | None,
    prefix_sizes: Iterable[int],
) -> StoredBlob:
    """Store the full content of a grown file sent in append mode: the server's stored copy of
    ``base`` (which must have ``offset`` bytes, the size the client extended) then the
    ``appended`` bytes, checked against the sha256 the client declared for the whole.

    Where ``base`` kept its hash state (``DataFile.sha256_state``) on a local store, only the
    appended bytes are hashed and the base's are copied by the kernel
    (:func:`labdb.storage.store_appended`: the time is the new bytes', not the file's).
    Otherwise the base's stored bytes are verified against its sha256 first
    (``BlobCorrupt``) and streamed with the new ones through ``store_chunks``, taking the
    running sha256 at ``prefix_sizes`` as a whole upload does."""
    if offset != base.size_bytes:
        raise BaseMismatch(
            f"file {base.pk} has {base.size_bytes} bytes, not {offset}: send the whole file "
            "or the bytes after its end"
        )
    appended = iter(appended)
    blob = store_appended(
        base.sha256,
        base.size_bytes,
        base.sha256_state,
        appended,
        expected_sha256=expected_sha256,
        max_bytes=max_bytes,
    )
    if blob is not None:
        return blob
    stored = open_blob(base.sha256)  # verified: BlobCorrupt now, before anything is read

    def chunks() -> Iterator[bytes]:
        with stored as fh:
            yield from read_chunks(fh)
        yield from appended

    return store_chunks(
        chunks(), expected_sha256=expected_sha256, max_bytes=max_bytes, prefix_sizes=prefix_sizes
    )


#: versions followed forward from a job's file to find a newer one with the same analysis
MAX_VERSIONS_AHEAD = 10_000


def newer_version_job(job: m.AnalysisJob) -> m.AnalysisJob | None:
    """The same analysis (kind, code version, parameters) of the newest later version of the
    job's file (``DataFile.extends`` forward) that is queued, running or done, or None.

    Coalescing (docs/live.md): a growing file uploaded every few seconds queues a job per
    version; once a newer version's job exists, analysing an older version only delays the
    newest result (which covers all the older one's data, so also its alerts)."""
    key = {
        "kind": job.kind,
        "analysis_version": job.analysis_version,
        "parameters_sha256": job.parameters_sha256,
    }
    live = [m.AnalysisJob.Status.FAILED, m.AnalysisJob.Status.SUPERSEDED]
    newest, file_id = None, job.data_file_id
    for _ in range(MAX_VERSIONS_AHEAD):
        file_id = m.DataFile.objects.filter(extends_id=file_id).values_list("pk", flat=True).first()
        if file_id is None:
            break
        found = m.AnalysisJob.objects.filter(data_file_id=file_id, **key).exclude(status__in=live)
        newest = found.first() or newest
    return newest


#: earlier versions looked at for the memo of an analysis to grow from
MAX_VERSIONS_BACK = 50
#: per analysis kind that can grow from an earlier version's: the series of its result that
#: a later version reads (cycling: per-half-cycle values; dQ/dV: per-half-cycle fingerprints)
MEMO_SERIES = {"cycling": "half_cycle_memo", "dqdv": "dqdv_memo"}
#: what else a dQ/dV analysis takes from the earlier one: the rows of its unchanged half-cycles
DQDV_REUSED = ("dqdv", "dvdq", "dqdv_peaks")
#: of those, the series a dQ/dV job does not read (it refers to their first rows)
DQDV_SERIES = ("dqdv", "dvdq")


@dataclass(frozen=True)
class PreviousMemo:
    """The memo of the same analysis of an earlier version (looked up before the job's child
    starts: the child has no database), with every stored table and series of that result
    (name -> sha256)."""

    job_id: str
    kind: str
    sha256: str
    tables: dict[str, str]
    #: rows and columns of each stored table and series, by name
    shapes: dict[str, tuple[int, list[str]]] = field(default_factory=dict)
    #: the sha256 of that result's JSON (the job's ``output_sha256``): the rows of its tables
    #: that a version keeps are copied from its text (:mod:`labdb.result_json`)
    output_sha256: str = ""


def earlier_analysis(job: m.AnalysisJob) -> m.AnalysisJob | None:
    """The same analysis of the nearest earlier version of the job's file (``extends`` back)
    that succeeded: same kind, parameters, analysis version, reader *and* code commit."""
    file_id = job.data_file.extends_id
    for _ in range(MAX_VERSIONS_BACK):
        if file_id is None:
            return None
        earlier = m.AnalysisJob.objects.filter(
            data_file_id=file_id,
            kind=job.kind,
            analysis_version=job.analysis_version,
            parameters_sha256=job.parameters_sha256,
            code_commit=job.code_commit,
            reader=job.reader,
            status=m.AnalysisJob.Status.SUCCEEDED,
        ).first()
        if earlier is not None:
            return earlier
        file_id = m.DataFile.objects.filter(pk=file_id).values_list("extends_id", flat=True)[0]
    return None


def previous_memo(job: m.AnalysisJob) -> PreviousMemo | None:
    """The memo series of :func:`earlier_analysis` (``MEMO_SERIES``; other code, or another
    reader's table, may give other values: then the analysis is a full one)."""
    name = MEMO_SERIES.get(job.kind)
    if name is None:
        return None
    earlier = earlier_analysis(job)
    if earlier is None:
        return None
    stored = m.ResultTable.objects.filter(result_id=earlier.pk).values_list(
        "name", "sha256", "rows", "columns"
    )
    tables = {t_name: sha for t_name, sha, _, _ in stored}
    shapes = {t_name: (rows, list(columns)) for t_name, _, rows, columns in stored}
    if name not in tables or (job.kind == "dqdv" and any(n not in tables for n in DQDV_REUSED)):
        return None
    return PreviousMemo(
        str(earlier.pk), job.kind, tables[name], tables, shapes, earlier.output_sha256
    )


def previous_outputs(job: m.AnalysisJob, memo: PreviousMemo | None = None) -> dict[str, str]:
    """The stored tables and series (name -> sha256) of :func:`earlier_analysis` (those of
    ``memo``'s result when given): a version's output is stored as their parts plus its new
    rows where its first rows are theirs (:func:`labdb.services.results.output_store`)."""
    if memo is not None:
        return dict(memo.tables)
    earlier = earlier_analysis(job)
    if earlier is None:
        return {}
    return dict(m.ResultTable.objects.filter(result_id=earlier.pk).values_list("name", "sha256"))


def earlier_frames(memo: PreviousMemo, options: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The earlier result's tables and series that :func:`memo_options` read for the pipeline
    (its memo; for dQ/dV also its peaks), by name: the job's store compares the new ones with
    them as they are, without reading them again."""
    given = options.get("previous")
    if isinstance(given, pd.DataFrame):
        return {MEMO_SERIES[memo.kind]: given}
    if isinstance(given, dict):
        return {name: frame for name, frame in given.items() if isinstance(frame, pd.DataFrame)}
    return {}


def output_store_continued(
    output: Result,
    earlier_outputs: dict[str, str],
    memo: PreviousMemo | None,
    options: dict[str, Any],
) -> StoredOutput:
    """Store a job's result (:func:`labdb.services.results.output_store`), continuing the
    earlier version's result that ``memo`` names: its stored tables (``earlier_outputs``), its
    cycle rows, its JSON, and the tables the pipeline was given (``options``), compared as
    read, not read again."""
    if memo is None:
        return output_store(output, earlier_outputs)
    return output_store(
        output,
        earlier_outputs,
        memo.job_id,
        memo.output_sha256 or None,
        earlier_frames(memo, options),
    )


def memo_options(memo: PreviousMemo | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The pipeline option ``previous`` read from the stored memo (a dQ/dV analysis also gets
    the earlier result's peaks, and its curves unread, whose first rows it may keep), and the
    provenance of the incremental analysis (``incremental_from``: the earlier job;
    ``memo_sha256``; for dQ/dV ``reused_sha256``, the earlier outputs whose rows it keeps);
    nothing when there is no memo or a stored copy cannot be read (a full analysis then: same
    result, only slower). The dQ/dV curves (``DQDV_SERIES``, a million rows at 1,600 cycles)
    are not read: the result refers to their first rows, which are stored as their parts
    (:func:`labdb.table_parts.store_grown`)."""
    if memo is None:
        return {}, {}
    names = (MEMO_SERIES[memo.kind], *(DQDV_REUSED if memo.kind == "dqdv" else ()))
    previous: dict[str, Any] = {}
    try:
        for name in names:
            sha256 = memo.tables[name]
            if name in DQDV_SERIES and name in memo.shapes:
                # not re-hashed (module docstring of labdb.table_parts); a part missing from
                # the store: a full analysis, as when a stored copy cannot be read
                if not all(blob_exists(part.sha256) for part in table_parts(sha256)):
                    return {}, {}
                rows, columns = memo.shapes[name]
                load = partial(read_table, sha256, verify=True)
                previous[name] = StoredSeries(sha256, rows, tuple(columns), load)
            else:
                previous[name] = read_table(sha256, verify=True)
    except (BlobCorrupt, OSError, ValueError, KeyError):
        return {}, {}
    provenance: dict[str, Any] = {"incremental_from": memo.job_id, "memo_sha256": memo.sha256}
    if memo.kind == "dqdv":
        provenance["reused_sha256"] = [memo.tables[name] for name in DQDV_REUSED]
        return {"previous": previous}, provenance
    return {"previous": previous[MEMO_SERIES[memo.kind]]}, provenance
