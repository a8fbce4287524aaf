"""Statuses that follow the data: called once, where a job's result is stored
(:func:`labdb.services.results.result_store`), inside the job's finishing transaction.

- A test run goes ``planned -> running`` when its first data are analysed, and ``-> finished``
  when the data reach the protocol's end: a single-measurement analysis (EIS after cycling,
  peel, scratch, indentation, CV) ends with its file; a cycling run ends when it has the
  protocol's number of cycles (``cycles`` parameter) or when a short circuit ended it.
  ``aborted`` and ``finished`` are never changed here; a person changes them in the form.
- A cell goes ``assembled -> testing`` when a run on it is running, ``-> finished`` when the
  cycling run finished without a short, and ``-> shorted`` when an analysis detects a short circuit
  (from ``testing``, ``assembled`` or ``finished``; never from ``retired``). A person
  reverses it with a required reason (:func:`labdb.services.reviews.short_reverse`, on the
  cell page); a re-analysis finding the same short's cycle then leaves the cell as it is.

Every change is a history entry of the record, with the job that caused it and the reason.
"""

from __future__ import annotations

from typing import Any

from labdb.models import AnalysisResult, Cell, HistoryEntry, TestRun
from labdb.services.history import history_record, snapshot
from labdb.services.reviews import short_reversed_cycles

#: analysis kinds whose one file is the whole test
SINGLE_MEASUREMENT_KINDS = frozenset({"eis", "peel", "scratch", "indentation", "cv"})


def _set_status(record: TestRun | Cell, status: str, reason: str) -> bool:
    if record.status == status:
        return False
    before = snapshot(record)
    record.status = status
    record.save(update_fields=["status", "updated_at"])
    history_record(
        record=record,
        action=HistoryEntry.Action.UPDATED,
        user=None,
        before=before,
        extra={"status_reason": [None, reason]},
    )
    return True


def run_status_after(result: AnalysisResult) -> str:
    """The status ``result``'s test run should have once the result is stored."""
    run = result.test_run
    if run.status in (TestRun.Status.ABORTED, TestRun.Status.FINISHED):
        return run.status
    if result.kind in SINGLE_MEASUREMENT_KINDS:
        return TestRun.Status.FINISHED
    if result.kind == "cycling":
        if result.short_circuit_cycle is not None:
            return TestRun.Status.FINISHED
        planned = (run.protocol.parameters or {}).get("cycles")
        if planned and result.cycle_count is not None and result.cycle_count >= int(planned):
            return TestRun.Status.FINISHED
    return TestRun.Status.RUNNING


def status_follow_result(*, result: AnalysisResult) -> dict[str, Any]:
    """Move the result's test run and cell to the statuses their data show; returns what
    changed (``{"test_run": status, "cell": status}``), empty when nothing did."""
    changed: dict[str, Any] = {}
    run = result.test_run
    job = f"analysis job {result.job_id}"
    status = run_status_after(result)
    if status != run.status:
        why = "its data were analysed" if status == TestRun.Status.RUNNING else "its data end"
        if result.short_circuit_cycle is not None and status == TestRun.Status.FINISHED:
            why = f"a short circuit ended it at cycle {result.short_circuit_cycle}"
        if _set_status(run, status, f"{why} ({job})"):
            changed["test_run"] = status
    if run.cell_id is None:
        return changed
    cell = Cell.objects.select_for_update().get(pk=run.cell_id)
    if cell.status == Cell.Status.RETIRED:
        return changed
    short = result.short_circuit_cycle if result.kind == "cycling" else None
    if short is not None and short in short_reversed_cycles(cell):
        return changed  # a person said this short is not one: their status stands
    if short is not None and cell.status != Cell.Status.SHORTED:
        target = Cell.Status.SHORTED
        reason = f"short circuit detected at cycle {short} of {run.label} ({job})"
    elif cell.status == Cell.Status.ASSEMBLED and run.status == TestRun.Status.RUNNING:
        target, reason = Cell.Status.TESTING, f"{run.label} is running ({job})"
    elif (
        result.kind == "cycling"
        and cell.status in (Cell.Status.ASSEMBLED, Cell.Status.TESTING)
        and run.status == TestRun.Status.FINISHED
        and short is None
        and not cell.test_runs.exclude(pk=run.pk).filter(status=TestRun.Status.RUNNING).exists()
    ):
        target, reason = Cell.Status.FINISHED, f"{run.label} finished ({job})"
    else:
        return changed
    if _set_status(cell, target, reason):
        changed["cell"] = target
    return changed
