"""Short chaos scenarios (see :mod:`tests.chaos.scenarios`): nothing lost, nothing run twice,
clear answers while a server is away, and recovery without anyone's help."""

from __future__ import annotations

import pytest

from tests.chaos import scenarios, scenarios_full
from tests.chaos.scenarios import Lab


def test_kill_9_of_pool_children_and_the_main_worker_loses_nothing_and_runs_nothing_twice(
    chaos_lab: Lab,
) -> None:
    lab = chaos_lab.for_run("CHAOS-KILL")
    f = scenarios.kill_workers(lab, n_jobs=10, pool_kills=2, main_kills=1, cycles=120)
    print("kill -9:", f)
    assert f["jobs"] == 10 and f["succeeded"] == 10, f
    assert f["results"] == 10, "a job stored its results twice or not at all"
    # a killed pool child cuts one execution short; a killed main process every job its pool
    # was running; anything beyond that would be a job run twice
    assert f["executions"] - f["results"] <= f["interruptible"], f


def test_poison_jobs_fail_on_their_first_attempt_with_the_reason_and_good_ones_succeed(
    chaos_lab: Lab,
) -> None:
    lab = chaos_lab.for_run("CHAOS-POISON")
    f = scenarios.poison_jobs(lab, n_good=8)
    print("poison:", f)
    assert f["good_failed"] == [] and f["succeeded"] == 8, f
    for name, (status, attempts, error) in f["poison"].items():
        assert status == "failed" and attempts == 1 and error, (name, status, attempts, error)
    assert "memory" in f["poison"]["bomb.csv"][2]


def test_a_job_over_its_time_limit_fails_on_its_first_attempt_and_the_worker_goes_on(
    chaos_lab: Lab,
) -> None:
    f = scenarios_full.time_limit_poison(chaos_lab.for_run("CHAOS-SLOW"))
    print("time-limit poison:", f)
    status, attempts, error = f["slow"]
    assert status == "failed" and attempts == 1 and "time limit" in error, f
    assert f["after"][0] == "succeeded" and f["worker_alive"], f
    assert f["results"] == 1, f


def test_redis_frozen_then_down_during_uploads_answers_fast_and_loses_no_job(
    chaos_lab: Lab,
) -> None:
    lab = chaos_lab.for_run("CHAOS-REDIS")
    f = scenarios.redis_outage(lab, n_uploads=16, freeze_s=4, down_s=4)
    print("redis outage:", f)
    assert f["http_5xx"] == 0 and f["uploads_2xx"] == f["uploads"] == 16, f
    assert f["uploads_2xx_with_job"] == 16
    assert f["max_request_s"] < 5, f
    assert f["succeeded"] == 16 and f["results"] == 16, f
    assert f["recovered_s"] <= 60, f


def test_postgresql_restarts_give_no_5xx_outside_the_restart_window(chaos_lab: Lab) -> None:
    lab = chaos_lab.for_run("CHAOS-PG")
    modes = (("fast", False), ("immediate", False), ("fast", True), ("immediate", True))
    f = scenarios.postgres_restart(lab, seconds=12, modes=modes)
    print("postgres restart:", f)
    assert f["requests"] > 20
    assert f["http_5xx_outside"] == 0, f
    assert f["http_500_in_window"] == 0, "a restart answered 500 instead of 503"


def test_a_flipped_byte_is_refused_named_and_repaired_by_a_re_upload(chaos_lab: Lab) -> None:
    f = scenarios.flipped_byte(chaos_lab.for_run("CHAOS-BYTE"))
    print("flipped byte:", f)
    assert f["download_damaged"] == (503, "stored_file_damaged")
    assert f["verify_storage_named_it"]
    assert f["reupload"] == 200 and f["download_repaired_matches"]


def test_disk_full_and_read_only_store_answer_507_503_and_recover(chaos_lab: Lab) -> None:
    if chaos_lab.stack.blob_disk is None:
        pytest.skip("the blob store's own tmpfs could not be mounted (needs root)")
    f = scenarios.disk_full(chaos_lab.for_run("CHAOS-DISK"))
    print("disk full:", f)
    assert f["full"] == (507, "storage_full") and f["read_only"] == (503, "storage_read_only")
    assert f["partial_files"] == 0 and f["records_from_refused"] == 0
    assert f["after_recovery"] == [201, 201] and f["succeeded_after_recovery"] == 2
