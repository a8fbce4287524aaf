"""Hashing only what a version adds (docs/live.md): a file that extends another records the
sha256 of each block of its content, taking the earlier file's whole blocks from its list; its
analysis re-hashes only the blocks it takes values from, and a damaged byte is still caught
(by the job where it matters to the result, by verify_storage everywhere)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from analysis.serial import differences
from labdb import models as m
from labdb.services.ingest import Registered, data_file_register
from labdb.storage import BLOCK_BYTES, blob_path
from tests.labdb.api.test_growing import cycler_file, full_analysis, stored_output


def _blocks(data: bytes) -> list[str]:
    return [
        hashlib.sha256(data[k : k + BLOCK_BYTES]).hexdigest()
        for k in range(0, len(data), BLOCK_BYTES)
    ]


def _register(run: m.TestRun, data: bytes, capture: Any, damage: int | None = None) -> Registered:
    """Register ``data`` and run its jobs; ``damage``: flip a bit of the stored file at that
    offset first (after it is stored, before its job reads it)."""
    with capture(execute=False) as callbacks:
        registered = data_file_register(
            test_run=run, chunks=[data], original_name="cell.csv", user=None, source="cli"
        )
    if damage is not None:
        path = blob_path(registered.data_file.sha256)
        content = bytearray(path.read_bytes())
        content[damage] ^= 0x01
        path.write_bytes(bytes(content))
    while callbacks:  # the jobs, and what their commits queue (the dQ/dV job)
        with capture(execute=True):
            callbacks.pop(0)()
    return registered


@pytest.fixture
def data() -> bytes:
    content = cycler_file(cycles=100)
    assert len(content) > 3 * BLOCK_BYTES
    return content


@pytest.mark.django_db
def test_a_version_records_its_blocks_and_takes_the_earlier_files_whole_blocks(
    run: m.TestRun, data: bytes, django_capture_on_commit_callbacks: Any
) -> None:
    cuts = (BLOCK_BYTES + 1_000, 2 * BLOCK_BYTES + 17, 2 * BLOCK_BYTES + 5_000, len(data))
    files = [
        _register(run, data[:cut], django_capture_on_commit_callbacks).data_file for cut in cuts
    ]
    assert files[0].block_sha256 == {}  # a first version extends nothing
    for f, cut in zip(files[1:], cuts[1:], strict=True):
        assert f.block_sha256 == {"block_bytes": BLOCK_BYTES, "sha256": _blocks(data[:cut])}
    jobs = m.AnalysisJob.objects.filter(data_file__in=files, kind="cycling")
    assert {j.status for j in jobs} == {"succeeded"}
    last = jobs.get(data_file=files[-1])
    assert last.parsed_table is not None and last.parsed_table.metadata.get("grown_from_rows")
    assert differences(stored_output(last), full_analysis(data, last)) == []


def _third_version(
    run: m.TestRun, data: bytes, capture: Any, damage: int | None
) -> tuple[m.AnalysisJob, bytes]:
    """Three versions, the third (the whole of ``data``) damaged at ``damage`` in the store
    before its job runs; its cycling job and the content it extends."""
    earlier = data[: 3 * BLOCK_BYTES + 4_321]
    _register(run, data[: BLOCK_BYTES + 999], capture)
    _register(run, earlier, capture)
    third = _register(run, data, capture, damage=damage).data_file
    return m.AnalysisJob.objects.get(data_file=third, kind="cycling"), earlier


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["header", "new rows", "rows parsed twice"])
def test_a_damaged_block_the_analysis_reads_fails_its_job(
    run: m.TestRun, data: bytes, django_capture_on_commit_callbacks: Any, where: str
) -> None:
    offset = {
        "header": 40,
        "new rows": len(data) - 5_000,
        "rows parsed twice": 3 * BLOCK_BYTES + 4_321 - 700,
    }[where]
    job, _ = _third_version(run, data, django_capture_on_commit_callbacks, offset)
    assert job.status == "failed" and "damaged" in job.error, job.error
    assert not m.AnalysisResult.objects.filter(job=job).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("what", ["digit", "line end"])
def test_a_damaged_byte_in_the_blocks_not_read_is_not_analysed_and_verify_storage_names_it(
    run: m.TestRun, data: bytes, django_capture_on_commit_callbacks: Any, what: str
) -> None:
    """A damaged byte in the earlier version's part of the file, a digit or a line end: the
    job takes those rows from the earlier version's table and their count of lines from the
    earlier version's read (``source_newlines``), so its result is the full analysis of the
    file as uploaded; the daily verify_storage names the damaged file."""
    from labdb.services.integrity import storage_verify

    if what == "digit":
        offset = data.index(b",", 2 * BLOCK_BYTES + 5_000) + 1
        assert data[offset : offset + 1].isdigit()
    else:
        offset = data.index(b"\n", BLOCK_BYTES + 5_000)
    job, _ = _third_version(run, data, django_capture_on_commit_callbacks, offset)
    assert job.status == "succeeded", job.error
    assert differences(stored_output(job), full_analysis(data, job)) == []
    problems = storage_verify().problems
    assert [p["sha256"] for p in problems] == [job.data_file.sha256], problems
