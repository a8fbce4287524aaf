"""The per-cycle rows of a result in a lineage (labdb.models.cycle_rows): the query form
(``CycleResult.objects.of_result``) and the many-results form (``rows_of_results``) both give,
for every result of a random lineage, the rows that result itself holds (replayed from what
each result wrote: rows changed, cycles removed and come back), also with a cycle filter and
with results outside any lineage among them."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest
from django.db import connection, transaction

from labdb import models as m
from labdb.models.cycle_rows import rows_of_results
from labdb.services.results import CYCLE_COLUMNS, _create_in_lineage, _store_cycles
from tests.labdb.test_integrity import analysed

__all__ = ["analysed"]

FIELDS = ("cycle", "coulombic_efficiency", "values")


def _running_job(analysed: m.AnalysisJob, n: int) -> m.AnalysisJob:
    """Another cycling job of the analysed file (parameters ``n``), running (takes rows)."""
    return m.AnalysisJob.objects.create(
        project=analysed.project,
        data_file=analysed.data_file,
        kind="cycling",
        parameters={"n": n},
        parameters_sha256=f"{n:064x}",
        analysis_version="test",
        status="running",
    )


def _result(analysed: m.AnalysisJob, n: int, lineage: Any, seq: int | None) -> m.AnalysisResult:
    job = _running_job(analysed, n)
    return m.AnalysisResult.objects.create(
        job=job,
        test_run=analysed.test_run,
        kind="cycling",
        cycles_lineage_id=job.pk if lineage == "self" else lineage,
        cycles_seq=seq,
    )


def _row(cycle: int, ce: float) -> dict[str, Any]:
    return {"cycle": cycle, "coulombic_efficiency": ce, "note": f"c{cycle}:{ce}"}


def _expected(rows: dict[int, dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            c,
            row["coulombic_efficiency"],
            {k: v for k, v in row.items() if k not in (*CYCLE_COLUMNS, "cycle")},
        )
        for c, row in rows.items()
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_result_of_a_lineage_has_the_rows_it_holds(analysed: m.AnalysisJob, seed: int) -> None:
    rng = random.Random(seed)
    results: list[m.AnalysisResult] = []
    holds: list[dict[int, dict[str, Any]]] = []  # what each result's own table holds
    current: dict[int, dict[str, Any]] = {}
    for seq in range(8):
        now = dict(current)
        for _ in range(rng.randint(1, 4)):  # new cycles
            c = max(now, default=0) + 1
            now[c] = _row(c, rng.random())
        for c in rng.sample(sorted(now), k=min(len(now), rng.randint(0, 3))):  # changed
            now[c] = _row(c, rng.random())
        if seq and rng.random() < 0.5 and len(now) > 2:  # removed (and may come back)
            del now[rng.choice(sorted(now))]
        lineage = "self" if seq == 0 else results[0].pk
        record = _result(analysed, seq, lineage, seq)
        if seq == 0:
            _store_cycles(record, list(now.values()))
        else:
            unchanged = {c for c, row in now.items() if current.get(c) == row}
            _store_cycles(record, list(now.values()), unchanged, sorted(set(current) - set(now)))
        results.append(record)
        holds.append(now)
        current = now
    own = _result(analysed, 99, None, None)  # stored before lineages: owns its rows
    m.CycleResult.objects.bulk_create(
        m.CycleResult(result=own, cycle=c, coulombic_efficiency=0.5, values={"note": "own"})
        for c in (1, 2)
    )
    everyone = [*results, own]
    wanted = [*holds, {c: {"cycle": c, "coulombic_efficiency": 0.5, "note": "own"} for c in (1, 2)}]
    many: dict[Any, list[tuple[Any, ...]]] = {r.pk: [] for r in everyone}
    for pk, values in rows_of_results([r.pk for r in everyone], FIELDS):
        many[pk].append(values)
    for record, rows in zip(everyone, wanted, strict=True):
        expected = _expected(rows)
        assert list(record.cycle_rows().order_by("cycle").values_list(*FIELDS)) == expected
        assert sorted(many[record.pk]) == expected
        # a filter on the cycle keeps the rule
        later = [r for r in expected if r[0] >= 3]
        assert (
            list(record.cycle_rows().filter(cycle__gte=3).order_by("cycle").values_list(*FIELDS))
            == later
        )
        assert sorted(v for _, v in rows_of_results([record.pk], FIELDS, cycle__gte=3)) == later
    # rows in the database: what each result wrote, not cycles x results
    written = m.CycleResult.objects.filter(lineage_id=results[0].pk).count()
    assert written < sum(len(h) for h in holds)


@pytest.mark.django_db(transaction=True)
def test_a_lineage_place_is_taken_once(analysed: m.AnalysisJob) -> None:
    from django.db import IntegrityError

    first = _result(analysed, 0, "self", 0)
    _result(analysed, 1, first.pk, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        _result(analysed, 2, first.pk, 1)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need a server database"
)
@pytest.mark.django_db(transaction=True)
def test_two_results_continuing_one_place_at_once_make_one_continue(
    analysed: m.AnalysisJob,
) -> None:
    """Two results stored at the same moment, both after the same earlier result (their
    transactions overlap): the second insert of the place waits for the first and is refused
    once it commits; that result then starts a lineage of its own, in the same transaction,
    and neither store fails."""
    earlier = analysed.result
    assert (earlier.cycles_lineage_id, earlier.cycles_seq) == (analysed.pk, 0)
    jobs = [_running_job(analysed, n) for n in (1, 2)]
    start = threading.Barrier(len(jobs))
    outcomes: list[Any] = [None] * len(jobs)

    def one(i: int) -> None:
        try:
            with transaction.atomic():
                start.wait()
                fields = {"job": jobs[i], "test_run": analysed.test_run, "kind": "cycling"}
                outcomes[i] = _create_in_lineage(jobs[i], str(earlier.pk), fields)[1]
        except BaseException as exc:  # reported below
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert sorted(outcomes) == [False, True], outcomes
    places = {
        r.pk: (r.cycles_lineage_id, r.cycles_seq)
        for r in m.AnalysisResult.objects.filter(job__in=jobs)
    }
    winner, loser = (jobs[0], jobs[1]) if outcomes[0] else (jobs[1], jobs[0])
    assert places == {winner.pk: (analysed.pk, 1), loser.pk: (loser.pk, 0)}
