"""A worker's analysis process serves several jobs in turn (labdb.services.execution): the
same child while jobs succeed, a new one after its N-th job, a failure, a stop, or when it
holds too much memory; the limits still hold per job; and a growing file's versions analysed
through it give the results a child per job gives."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from labdb import models as m
from labdb.services import execution
from labdb.services.execution import Outcome, run_supervised
from labdb.services.jobs import _classify
from tests.labdb.api.test_growing import cycler_file
from tests.labdb.jobs.conftest import register

#: memory a job left behind in its process (as freed blocks kept for reuse are)
_KEPT: list[bytearray] = []


@dataclass(frozen=True)
class Pid:
    """Picklable work: the process it ran in (after ``sleep_s``, leaving ``keep_mb`` of
    memory behind in its process)."""

    sleep_s: float = 0.0
    keep_mb: int = 0
    fail: bool = False

    def __call__(self, progress: Any) -> int:
        progress(0.5)
        held = bytearray(self.keep_mb << 20)
        for i in range(0, len(held), 4096):  # resident, not only reserved
            held[i] = 1
        _KEPT.append(held)
        time.sleep(self.sleep_s)
        if self.fail:
            raise ValueError("bad file")
        return os.getpid()


@pytest.fixture(autouse=True)
def _no_kept_child() -> Iterator[None]:
    """Each test starts and ends without a serving child."""
    _stop_server()
    yield
    _stop_server()


def _stop_server() -> None:
    server, execution._server = execution._server, None
    if server is not None:
        execution._end_server(server, kill=True)


def run(
    work: Any,
    *,
    child_jobs: int = 25,
    keep_mb: int = 1024,
    limit_s: float = 30,
    memory_mb: int | None = None,
    attempts: int = 1,
) -> Outcome:
    progress: list[float] = []
    outcome = run_supervised(
        work,
        classify=_classify,  # type: ignore[arg-type]
        time_limit_s=limit_s,
        memory_mb=memory_mb,
        heartbeat=lambda: True,
        heartbeat_every_s=5,
        give_up_after_s=10,
        on_progress=progress.append,
        child_jobs=child_jobs,
        child_keep_mb=keep_mb,
    )
    if outcome.status == "done":
        assert progress == [0.5] * attempts  # each attempt reports its progress
    return outcome


def _alive(pid: int) -> bool:
    """Whether process ``pid`` is still there: running, or ended but not yet reaped (a
    zombie counts as alive: the worker must wait for the children it ends)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_jobs_run_in_one_child_until_its_last_job_then_a_new_one() -> None:
    pids = [run(Pid(), child_jobs=3).value for _ in range(4)]
    assert os.getpid() not in pids
    assert pids[0] == pids[1] == pids[2] != pids[3]
    assert not _alive(pids[0])  # replaced after its third job, and reaped
    assert execution._server is not None and execution._server.pid == pids[3]


def test_a_failed_job_ends_its_child_and_the_next_job_gets_a_new_one() -> None:
    first = run(Pid()).value
    failed = run(Pid(fail=True))
    assert failed.status == "failed" and failed.message == "bad file"
    assert not _alive(first)
    assert execution._server is None
    assert run(Pid()).value != first


def test_a_job_over_its_time_limit_stops_the_child_and_the_next_job_runs() -> None:
    first = run(Pid()).value
    stopped = run(Pid(sleep_s=30), limit_s=0.5)
    assert stopped.status == "timeout"
    assert not _alive(first)
    after = run(Pid())
    assert after.status == "done" and after.value != first


def test_a_child_that_died_between_jobs_is_replaced_without_failing_the_next_job() -> None:
    first = run(Pid()).value
    os.kill(first, 9)
    time.sleep(0.1)
    after = run(Pid())
    assert after.status == "done" and after.value != first


def test_a_child_holding_more_than_its_keep_size_is_replaced_after_the_job() -> None:
    kept = run(Pid()).value
    assert execution._server is not None
    # what a child holds of its own after a small job (the worker's pages it wrote to): the
    # limit is set 32 MiB above it, so 64 MiB more is over it and nothing more is under
    own_mb = execution._private_bytes(kept) >> 20
    assert own_mb > 0
    limit = own_mb + 32
    assert run(Pid(), keep_mb=limit).value == kept
    assert run(Pid(keep_mb=64), keep_mb=limit).value == kept  # replaced after this job
    assert execution._server is None and not _alive(kept)
    assert run(Pid(), keep_mb=limit).value != kept


def test_a_job_out_of_memory_beside_what_earlier_jobs_kept_runs_again_in_a_new_child() -> None:
    """The memory a served child kept from its earlier jobs counts against the next job's
    limit: a job that runs out of memory there is run once more in a new child (where it
    fits), not failed; one that does not fit a new child either fails with the memory
    message, and so does one in a child that had nothing kept."""
    limit = 400  # MiB the child may add to the worker's address space
    first = run(Pid(keep_mb=250), memory_mb=limit)
    assert first.status == "done"
    # 250 kept + 220 > 400: not in that child; in a new one
    again = run(Pid(keep_mb=220), memory_mb=limit, attempts=2)
    assert again.status == "done", again
    assert again.value != first.value and not _alive(first.value)
    assert execution._server is not None and execution._server.pid == again.value
    _stop_server()
    too_big = run(Pid(keep_mb=500), memory_mb=limit)  # a first job: no second try
    assert too_big.status == "failed" and too_big.memory
    assert "more memory than its limit" in too_big.message
    assert execution._server is None


def test_the_keep_size_check_reads_the_resident_set_first_and_agrees_with_smaps() -> None:
    kept = run(Pid()).value
    own = execution._private_bytes(kept)
    with open(f"/proc/{kept}/statm") as fh:
        resident = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    assert 0 < own <= resident
    for limit in (0, own - 1, own + (1 << 20), resident, 4 * resident):
        assert execution._holds_more_than(kept, limit) == (execution._private_bytes(kept) > limit)


def test_work_that_cannot_be_pickled_gets_a_child_of_its_own_and_the_kept_one_stays() -> None:
    kept = run(Pid()).value
    closure = run(lambda progress: (progress(0.5), os.getpid())[1])
    assert closure.status == "done" and closure.value not in (kept, os.getpid())
    assert run(Pid()).value == kept


def test_one_child_per_job_when_set_to_one() -> None:
    pids = [run(Pid(), child_jobs=1).value for _ in range(2)]
    assert pids[0] != pids[1] and execution._server is None


def test_versions_of_a_growing_file_analysed_by_one_child_equal_a_child_per_job(
    settings: Any, blobs: Any, run: m.TestRun, django_capture_on_commit_callbacks: Any
) -> None:
    """The app's own job path with the production setting: a growing file's versions' jobs
    (cycling, the second and third incremental, and their dQ/dV) all served by one child; every result equals the one a child per
    job stores for the same bytes (the same JSON, so the same sha256), and so does every
    parsed table (the later versions' read from the earlier table kept in the child's
    memory, labdb.table_parts)."""
    data = cycler_file(cycles=8)
    ends = [i + 1 for i, b in enumerate(data) if b == 10]
    cuts = [ends[len(ends) // 2], ends[3 * len(ends) // 4], len(data)]
    other = m.TestRun.objects.create(
        project=run.project, label=run.label + "-2", cell=run.cell, protocol=run.protocol
    )
    outputs = {}
    for child_jobs, test_run in ((25, run), (1, other)):
        settings.JOB_CHILD_JOBS = child_jobs
        shas = []
        for cut in cuts:
            with django_capture_on_commit_callbacks(execute=True):
                reg = register(test_run, data[:cut])
            job = m.AnalysisJob.objects.get(data_file=reg.data_file, kind="cycling")
            assert job.status == "succeeded", job.error
            table = job.parsed_table.sha256 if job.parsed_table else None
            shas.append((job.data_file.version, job.output_sha256, table))
        outputs[child_jobs] = shas
        if child_jobs == 25:
            server = execution._server
            done = m.AnalysisJob.objects.filter(data_file__test_run=run, status="succeeded")
            assert server is not None and server.served == done.count() > len(cuts)  # dQ/dV too
    assert outputs[25] == outputs[1]
    assert [v for v, _, _ in outputs[1]] == [1, 2, 3]
    assert len({sha for _, sha, _ in outputs[1]}) == 3  # every version its own result
    assert all(table for _, _, table in outputs[1])
