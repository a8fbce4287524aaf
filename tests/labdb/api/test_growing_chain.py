"""The versions of a growing file form a chain: a file has at most one next version, also
when uploads race to extend it (run on PostgreSQL too: `DATABASE_URL=postgresql://...`); and
a job of an older version whose newer version is already queued is superseded by it."""

from __future__ import annotations

import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.db import IntegrityError, connection, transaction

from analysis import pipelines
from analysis.readers import read
from analysis.serial import differences, num
from analysis.series import GROUPED_DIGEST, compose_digest, group_digests
from labdb import models as m
from labdb.models.cycle_rows import rows_of_results
from labdb.provenance import canonical_json, code_commit
from labdb.services import results
from labdb.services.catalog import record_save
from labdb.services.conformance import run_conformance
from labdb.services.growing import BaseMismatch
from labdb.services.ingest import Registered, data_file_register
from labdb.services.job_requests import job_request
from labdb.services.results import CYCLE_COLUMNS
from labdb.storage import BlobCorrupt, blob_path
from labdb.table_parts import read_table, table_parts
from tests.labdb.api.conftest import sha, token_client
from tests.labdb.api.test_growing import cycler_file, full_analysis, post, stored_output


def register(run: m.TestRun, data: bytes, base: m.DataFile | None = None) -> Registered:
    return data_file_register(
        test_run=run, chunks=[data], original_name="cell.csv", user=None, source="cli", base=base
    )


@pytest.fixture
def uploader(demo_user: Any, run: m.TestRun) -> Any:
    return token_client(demo_user, "upload")


@pytest.mark.django_db
def test_the_database_refuses_a_second_next_version(run: m.TestRun) -> None:
    data = cycler_file(cycles=3)
    base = register(run, data[:3000]).data_file
    nxt = register(run, data[:4000]).data_file
    assert nxt.extends_id == base.pk and nxt.version == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        m.DataFile.objects.create(
            project=run.project,
            test_run=run,
            sha256="f" * 64,
            size_bytes=5000,
            original_name="fork.csv",
            extends=base,
            version=2,
        )


@pytest.mark.django_db
def test_appending_to_a_version_that_already_has_a_next_one_is_a_409(
    uploader: Any, run: m.TestRun
) -> None:
    data = cycler_file(cycles=4)
    v1 = post(uploader, data[:5000]).json()
    v2 = post(uploader, data[:6000]).json()
    assert v2["extends"] == v1["id"]
    fork = b"different bytes after the first version\n"
    refused = post(uploader, fork, digest=sha(data[:5000] + fork), extends=v1["id"], offset=5000)
    assert refused.status_code == 409
    assert v2["id"] in refused.json()["detail"] and "next version" in refused.json()["detail"]
    # the bytes after the newest version are taken
    v3 = post(uploader, data[6000:], digest=sha(data), extends=v2["id"], offset=6000)
    assert v3.status_code == 201 and v3.json()["version"] == 3
    assert m.DataFile.objects.filter(extends_id=v1["id"]).count() == 1


def _race(run: m.TestRun, contents: list[bytes], base: m.DataFile | None) -> list[Any]:
    """Register ``contents`` from as many threads at once (own database connections)."""
    start = threading.Barrier(len(contents))
    outcomes: list[Any] = [None] * len(contents)

    def one(i: int) -> None:
        start.wait()
        try:
            outcomes[i] = register(run, contents[i], base)
        except BaseMismatch as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(contents))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need a server database"
)
@pytest.mark.django_db(transaction=True)
def test_racing_uploads_extend_one_base_once(demo: m.Project, demo_user: Any) -> None:
    # a run on an electrode batch (no cell) gets no analysis job (half or full cell unknown): the links are
    # the point here, and no analysis child is forked from a thread
    run = record_save(
        record=m.TestRun(
            project=demo,
            label="RACE-PS",
            electrode_batch=m.ElectrodeBatch.objects.filter(project=demo).first(),
            protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
        ),
        user=demo_user,
    )
    data = cycler_file(cycles=4)
    base = register(run, data[:5000]).data_file
    forks = [data[:5000] + f"fork {i}\n".encode() * 50 for i in range(6)]
    # append mode: one wins, the others are told which version to continue (409)
    appended = _race(run, forks, base)
    won = [o for o in appended if isinstance(o, Registered)]
    lost = [o for o in appended if isinstance(o, BaseMismatch)]
    assert len(won) == 1 and len(lost) == 5, appended
    assert won[0].data_file.extends_id == base.pk and won[0].data_file.version == 2
    assert all(str(won[0].data_file.pk) in str(e) for e in lost)
    # whole files racing to extend the new head: one is linked, the others are kept unlinked
    head = won[0].data_file
    kept = next(f for f in forks if sha(f) == head.sha256)
    whole = [kept + f"more {i}\n".encode() * 50 for i in range(6)]
    registered = _race(run, whole, None)
    assert all(isinstance(o, Registered) and o.created for o in registered), registered
    linked = [o.data_file for o in registered if o.data_file.extends_id is not None]
    assert len(linked) == 1 and linked[0].extends_id == head.pk and linked[0].version == 3
    assert all(o.data_file.version == 1 for o in registered if o.data_file not in linked)
    assert m.DataFile.objects.filter(extends_id=head.pk).count() == 1


@pytest.mark.django_db
def test_older_queued_versions_are_superseded_by_the_newest_once(
    run: m.TestRun, django_capture_on_commit_callbacks: Any
) -> None:
    data = cycler_file(cycles=10)
    cuts = [len(data) // 3, len(data) // 2, len(data) * 3 // 4, len(data)]
    # all four versions queued before any job runs (the worker is behind)
    with django_capture_on_commit_callbacks(execute=True):
        versions = [register(run, data[:c]) for c in cuts]
    jobs = [v.job for v in versions]
    for j in jobs:
        assert j is not None
        j.refresh_from_db()
    assert [j.status for j in jobs] == ["superseded"] * 3 + ["succeeded"]  # type: ignore[union-attr]
    newest = jobs[-1]
    assert newest is not None
    for j in jobs[:-1]:
        assert j is not None
        assert str(newest.pk) in j.error and j.finished_at is not None
        assert not m.AnalysisResult.objects.filter(job=j).exists()
    # the newest ran once, on its own data, and gives the whole file's analysis
    assert newest.attempts == 1
    assert differences(stored_output(newest), full_analysis(data, newest)) == []
    entries = m.HistoryEntry.objects.filter(action="analysis.superseded")
    assert entries.count() == 3
    # a superseded job is finished: immutable like a failed one
    assert jobs[0] is not None and jobs[0].is_finished


@pytest.mark.django_db
def test_a_version_is_analysed_from_the_earlier_versions_memo_and_says_so(
    run: m.TestRun, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = cycler_file(cycles=16)
    cuts = [len(data) // 2 + 11, len(data) * 3 // 4 + 5, len(data)]
    jobs = []
    for i, cut in enumerate(cuts):
        if i == 2:  # the third version's job runs other code: no reuse across code versions
            monkeypatch.setenv("LABDB_GIT_COMMIT", "0" * 40)
            code_commit.cache_clear()
        with django_capture_on_commit_callbacks(execute=True):
            job = register(run, data[:cut]).job
        assert job is not None
        job.refresh_from_db()
        assert job.status == "succeeded", job.error
        assert differences(stored_output(job), full_analysis(data[:cut], job)) == []
        jobs.append(job)
    first, second, third = jobs
    memo = m.ResultTable.objects.get(result_id=first.pk, name="half_cycle_memo")
    assert second.input_sha256 == [second.data_file.sha256, second.parsed_table.sha256, memo.sha256]
    reused = second.timings["reused_half_cycle_values"]
    computed = second.timings["computed_half_cycle_values"]
    assert reused > computed > 0, second.timings  # 2/3 of its rows were the first version
    done = m.HistoryEntry.objects.get(action="analysis.succeeded", record_id=str(second.pk))
    assert done.changes["incremental_from"] == str(first.pk)
    # the first version and the one on other code were analysed whole
    assert "reused_half_cycle_values" not in first.timings
    assert third.code_commit != second.code_commit
    assert "reused_half_cycle_values" not in third.timings and len(third.input_sha256) == 2
    monkeypatch.undo()
    code_commit.cache_clear()


def _full_dqdv(data: bytes, job: m.AnalysisJob) -> dict[str, Any]:
    """The dqdv pipeline's JSON for the whole of ``data`` (its own cycling analysis)."""
    return _full_dqdv_result(data, job).to_json()


def _full_dqdv_result(data: bytes, job: m.AnalysisJob) -> pipelines.Result:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cell.csv"
        path.write_bytes(data)
        table = read(path).table
    pipeline = pipelines.get("dqdv")
    return pipeline.run(table, pipeline.validate(job.parameters))


@pytest.mark.django_db
def test_a_versions_dqdv_keeps_the_earlier_half_cycles_rows_and_says_so(
    run: m.TestRun, django_capture_on_commit_callbacks: Any
) -> None:
    """The dQ/dV job of a version computes only the half-cycles after the unchanged ones: the
    same JSON as the dQ/dV of the whole file, the earlier dQ/dV outputs named in its inputs,
    and its curves stored as the earlier curves' parts plus the new rows."""
    data = cycler_file(cycles=16)
    jobs = []
    for cut in (len(data) * 2 // 3 + 11, len(data)):
        with django_capture_on_commit_callbacks(execute=True):
            register(run, data[:cut])
        job = m.AnalysisJob.objects.get(data_file__size_bytes=cut, kind="dqdv")
        assert job.status == "succeeded", job.error
        assert differences(stored_output(job), _full_dqdv(data[:cut], job)) == []
        jobs.append(job)
    first, second = jobs
    earlier = dict(m.ResultTable.objects.filter(result_id=first.pk).values_list("name", "sha256"))
    assert (
        second.timings["reused_half_cycle_values"]
        > second.timings["computed_half_cycle_values"]
        > 0
    )
    done = m.HistoryEntry.objects.get(action="analysis.succeeded", record_id=str(second.pk))
    assert done.changes["incremental_from"] == str(first.pk)
    assert done.changes["cycling_job"]  # it read the cycling result's curves, not the file
    for name in ("dqdv_memo", "dqdv", "dvdq", "dqdv_peaks"):
        assert earlier[name] in second.input_sha256, name
    curves = m.ResultTable.objects.get(result_id=second.pk, name="dqdv")
    assert table_parts(curves.sha256)[0].sha256 == table_parts(earlier["dqdv"])[0].sha256
    assert "reused_half_cycle_values" not in first.timings
    # the curves stored without reading the earlier ones back are the full analysis's rows,
    # and the digests in the JSON (grouped per half-cycle) are checked from them alone
    full = _full_dqdv_result(data, second)
    for name in ("dqdv", "dvdq"):
        stored = m.ResultTable.objects.get(result_id=second.pk, name=name)
        frame = read_table(stored.sha256, verify=True)
        pd.testing.assert_frame_equal(frame, full.frame(name), obj=name)
        entry = stored_output(second)["series"][name]
        assert entry["digest"] == GROUPED_DIGEST and entry["rows"] == stored.rows == len(frame)
        assert compose_digest(group_digests(frame, entry["groups"])) == entry["sha256"]


@pytest.mark.django_db
def test_a_damaged_or_lost_part_of_the_earlier_curves_is_caught(
    run: m.TestRun, django_capture_on_commit_callbacks: Any
) -> None:
    """A version's dQ/dV curves keep the earlier curves' parts without re-hashing them (they
    were hashed when written). A damaged part is still caught where it is relied on:
    ``verify_storage`` names it with every table it belongs to, and reading the curves as jobs
    and exports do fails; a lost part makes the next version's dQ/dV a full analysis whose
    curves are stored whole and right."""
    from labdb.services.integrity import storage_verify

    data = cycler_file(cycles=16)
    cuts = (len(data) * 2 // 3 + 11, len(data) * 5 // 6 + 3, len(data))
    for cut in cuts[:2]:
        with django_capture_on_commit_callbacks(execute=True):
            register(run, data[:cut])
    second = m.AnalysisJob.objects.get(data_file__size_bytes=cuts[1], kind="dqdv")
    assert second.timings["reused_half_cycle_values"] > 0
    curves = m.ResultTable.objects.get(result_id=second.pk, name="dqdv")
    kept = table_parts(curves.sha256)[0].sha256
    path = blob_path(kept)
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 2] ^= 0x01
    path.write_bytes(bytes(damaged))
    problems = storage_verify().problems
    assert [p["sha256"] for p in problems] == [kept], problems
    assert "does not match" in problems[0]["problem"]
    # the first version's curves, and the part each later version's curves keep
    assert problems[0]["records"] == [
        "dqdv of the dqdv result of cell.csv",
        "part of the dqdv of the dqdv result of cell.csv",
    ]
    with pytest.raises(BlobCorrupt):
        read_table(curves.sha256, verify=True)
    path.unlink()
    with django_capture_on_commit_callbacks(execute=True):
        register(run, data)
    third = m.AnalysisJob.objects.get(data_file__size_bytes=len(data), kind="dqdv")
    assert third.status == "succeeded", third.error
    assert "reused_half_cycle_values" not in third.timings  # a full analysis
    stored = m.ResultTable.objects.get(result_id=third.pk, name="dqdv")
    assert kept not in [p.sha256 for p in table_parts(stored.sha256)]
    full = _full_dqdv_result(data, third)
    pd.testing.assert_frame_equal(read_table(stored.sha256, verify=True), full.frame("dqdv"))
    assert differences(stored_output(third), full.to_json()) == []


def _cycle_rows(job: m.AnalysisJob) -> list[tuple[Any, ...]]:
    return list(
        job.result.cycle_rows().order_by("cycle").values_list("cycle", *CYCLE_COLUMNS, "values")
    )


@pytest.mark.django_db
@pytest.mark.parametrize("repeat", [False, True])
def test_a_versions_cycle_rows_are_those_of_its_json(
    run: m.TestRun, django_capture_on_commit_callbacks: Any, repeat: bool
) -> None:
    """Every version's per-cycle rows (``AnalysisResult.cycle_rows``, and ``rows_of_results``
    for many results at once) are what its own JSON says: the same rows as a result stored
    without an earlier one. A version analysed from the one before continues that result's
    lineage and writes only the rows of the cycles whose values changed (the worker receives
    only those: ``StoredOutput.lean``). A repeat analysis of the second version (``repeat``:
    its lineage place is taken by the first analysis) starts a lineage of its own and writes
    every row, from the stored JSON. The protocol check made in the analysis process is the
    check of the whole stored JSON."""
    data = cycler_file(cycles=14)
    cuts = (len(data) * 3 // 5 + 5, len(data) * 4 // 5 + 9, len(data))
    jobs = []
    for cut in cuts:
        with django_capture_on_commit_callbacks(execute=True):
            register(run, data[:cut])
        jobs.append(m.AnalysisJob.objects.get(data_file__size_bytes=cut, kind="cycling"))
        if repeat and len(jobs) == 2:  # before the third version (which would supersede it)
            with django_capture_on_commit_callbacks(execute=True):
                again, created = job_request(
                    data_file=jobs[1].data_file,
                    kind="cycling",
                    parameters=jobs[1].parameters,
                    user=None,
                    repeat=1,
                )
            again.refresh_from_db()
            assert created and again.status == "succeeded", again.error
            assert again.timings["reused_half_cycle_values"] > 0  # the first version's memo
    if repeat:
        jobs.append(again)
    fields = ("cycle", *CYCLE_COLUMNS, "values")
    for job in jobs:
        records = stored_output(job)["tables"]["cycles"]
        expected = sorted(
            (
                (
                    row["cycle"],
                    *(num(row.get(k)) for k in CYCLE_COLUMNS),
                    {k: v for k, v in row.items() if k not in CYCLE_COLUMNS and k != "cycle"},
                )
                for row in records
            ),
            key=lambda r: r[0],
        )
        assert _cycle_rows(job) == expected, job.data_file.version
        assert sorted(v for _, v in rows_of_results([job.pk], fields)) == expected
        assert job.result.conformance == run_conformance(run, stored_output(job))
        assert job.result.conformance["checks"]["current_density"] == "ok"
    first, second, third = jobs[:3]
    places = {j.pk: (j.result.cycles_lineage_id, j.result.cycles_seq) for j in jobs}
    assert places[first.pk] == (first.pk, 0) and places[second.pk] == (first.pk, 1)
    # the third continues the lineage of the result its memo came from
    done = m.HistoryEntry.objects.get(action="analysis.succeeded", record_id=str(third.pk))
    lineage, seq = places[uuid.UUID(done.changes["incremental_from"])]
    assert places[third.pk] == (lineage, seq + 1)
    written = [j.result.written_cycles.count() for j in jobs]
    held = [len(_cycle_rows(j)) for j in jobs]
    assert written[0] == held[0]
    # the later versions share most cycles' values with the version before, but not all:
    # the last cycles changed
    assert 0 < written[1] < held[1] - held[0] + 4 and 0 < written[2] < held[2] - held[1] + 4
    if repeat:  # a lineage of its own: every row written
        assert places[again.pk] == (again.pk, 0) and written[3] == held[3] == held[1]


def test_unchanged_cycles_are_the_rows_equal_value_for_value() -> None:
    """Which per-cycle rows count as unchanged: equal numbers (any NaN equal to any NaN, as
    both are null in the JSON; missing equal to missing), but 0.0 is not -0.0 (their JSON
    differs) and another dtype or column set is nothing unchanged."""
    from labdb.services.parsing import store_frame
    from labdb.services.results import unchanged_cycles

    before = pd.DataFrame(
        {
            "cycle": [1, 2, 3, 4, 5],
            "ce": [0.9, float("nan"), 0.0, 0.97, 0.98],
            "vendor_cycle": pd.array([1, None, 3, 4, 5], dtype="Int64"),
        }
    )
    now = before.assign(ce=[0.9, float("nan"), -0.0, 0.97, 0.99])
    now = pd.concat([now, pd.DataFrame({"cycle": [6], "ce": [0.5], "vendor_cycle": [6]})])
    now = now.reset_index(drop=True).astype({"vendor_cycle": "Int64"})
    stored = store_frame(before)
    assert unchanged_cycles(now, stored) == (1, 2, 4)
    assert unchanged_cycles(now.astype({"ce": "float32"}), stored) == ()
    assert unchanged_cycles(now.drop(columns="vendor_cycle"), stored) == ()


@pytest.mark.django_db
def test_a_versions_json_copies_the_earlier_jsons_unchanged_rows_and_is_the_full_one(
    run: m.TestRun, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The JSON of a version's cycling and dQ/dV results is written from the earlier version's
    JSON (the text of the unchanged table rows copied, labdb/result_json.py): its bytes are
    the canonical JSON of the full analysis of the file, the job says how many rows it copied
    and from which JSON; an earlier JSON damaged in the store is not used (the JSON is encoded
    whole: the same bytes)."""

    # copied from 500 rows on (results.MIN_ROWS_COPIED): a file of 100 cycles, copied from 60
    monkeypatch.setattr(results, "MIN_ROWS_COPIED", 60)
    data = cycler_file(cycles=100)
    cuts = (len(data) * 7 // 10 + 3, len(data) * 17 // 20 + 11, len(data))
    jobs = []
    for k, cut in enumerate(cuts):
        if k == 2:  # the second version's JSON damaged in the store
            path = blob_path(jobs[-1]["cycling"].output_sha256)
            damaged = bytearray(path.read_bytes())
            damaged[len(damaged) // 2] ^= 0x01
            path.write_bytes(bytes(damaged))
        with django_capture_on_commit_callbacks(execute=True):
            register(run, data[:cut])
        found = {j.kind: j for j in m.AnalysisJob.objects.filter(data_file__size_bytes=cut)}
        assert all(j.status == "succeeded" for j in found.values()), found
        cycling = found["cycling"]
        full = full_analysis(data[:cut], cycling)
        assert blob_path(cycling.output_sha256).read_bytes() == canonical_json(full).encode()
        dqdv = _full_dqdv(data[:cut], found["dqdv"])
        assert blob_path(found["dqdv"].output_sha256).read_bytes() == canonical_json(dqdv).encode()
        jobs.append(found)
    first, second, third = jobs
    copied = second["cycling"].timings["json_rows_copied"]
    # the earlier version's cycle and half-cycle rows (three per cycle), less the last few
    earlier_cycles = len(stored_output(first["cycling"])["tables"]["cycles"])
    assert earlier_cycles >= 60  # tables shorter are encoded whole (MIN_ROWS_COPIED)
    assert 3 * earlier_cycles >= copied > 3 * earlier_cycles - 12, (copied, earlier_cycles)
    done = m.HistoryEntry.objects.get(
        action="analysis.succeeded", record_id=str(second["cycling"].pk)
    )
    assert done.changes["json_rows_from"] == first["cycling"].output_sha256
    assert second["dqdv"].timings["json_rows_copied"] > 0  # its peaks
    assert "json_rows_copied" not in first["cycling"].timings
    assert "json_rows_copied" not in third["cycling"].timings  # the earlier JSON is damaged
    assert third["cycling"].timings["reused_half_cycle_values"] > 0  # still incremental
