"""A person's decisions about stored results, each with a required reason and an audit entry
on the record it concerns:

- :func:`flag_accept` / :func:`flag_withdraw`: an implausible value (labdb.plausibility)
  counts in group statistics only once accepted;
- :func:`short_reverse`: a cell marked shorted by an analysis is put back by a person;
- :func:`data_file_remove`: a raw file uploaded by mistake leaves its test run's pages and
  statistics; the file, its jobs and results stay stored (history kept).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from labdb import models as m
from labdb.plausibility import result_flags
from labdb.services.audit import audit
from labdb.services.history import history_record, snapshot

#: a reason is a sentence, not a keystroke
MIN_REASON_CHARS = 3


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_CHARS:
        raise ValidationError({"reason": "say why (a reason is required and recorded)"})
    return reason


def _user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


@transaction.atomic
def flag_accept(
    *, result: m.AnalysisResult, metric: str, reason: str, user: Any
) -> m.FlagAcceptance:
    """Accept the implausible ``metric`` of ``result`` with ``reason``: it then counts in group
    statistics. Refused when the value is not flagged or is accepted already."""
    reason = _reason(reason)
    if metric not in {f.metric for f in result_flags(result)}:
        raise ValidationError({"metric": f"{metric} of this result is not flagged"})
    if result.flag_acceptances.filter(metric=metric, withdrawn_at__isnull=True).exists():
        raise ValidationError({"metric": f"{metric} of this result is accepted already"})
    acceptance = m.FlagAcceptance.objects.create(
        project=result.test_run.project,
        result=result,
        metric=metric,
        reason=reason,
        accepted_by=_user(user),
    )
    audit(
        project=result.test_run.project,
        action="flag.accepted",
        user=user,
        target=result.test_run,
        details={
            "accepted value": [None, metric],
            "reason": [None, reason],
            "analysis job": [None, str(result.job_id)],
        },
    )
    return acceptance


@transaction.atomic
def flag_withdraw(*, acceptance: m.FlagAcceptance, reason: str, user: Any) -> m.FlagAcceptance:
    """Withdraw an acceptance: the value is kept out of group statistics again."""
    reason = _reason(reason)
    if acceptance.withdrawn_at is not None:
        raise ValidationError({"metric": "this acceptance was withdrawn already"})
    acceptance.withdrawn_at = timezone.now()
    acceptance.withdrawn_by = _user(user)
    acceptance.withdraw_reason = reason
    acceptance.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    run = acceptance.result.test_run
    audit(
        project=run.project,
        action="flag.withdrawn",
        user=user,
        target=run,
        details={
            "accepted value": [acceptance.metric, None],
            "reason": [acceptance.reason, reason],
            "analysis job": [str(acceptance.result_id), None],
        },
    )
    return acceptance


#: the key of a short a person reversed, in the cell's history entry (cycle number)
SHORT_REVERSED = "short reversed at cycle"


@transaction.atomic
def short_reverse(*, cell: m.Cell, status: str, reason: str, user: Any) -> m.Cell:
    """Put a cell marked shorted back to ``status`` (on test, finished, retired) with a
    reason. The short's cycle is recorded, so a re-analysis that finds the same short does not
    mark the cell shorted again (see services.status)."""
    reason = _reason(reason)
    cell = m.Cell.objects.select_for_update().get(pk=cell.pk)
    if cell.status != m.Cell.Status.SHORTED:
        raise ValidationError({"status": f"{cell.label} is not marked shorted"})
    allowed = {m.Cell.Status.TESTING, m.Cell.Status.FINISHED, m.Cell.Status.RETIRED}
    if status not in allowed:
        raise ValidationError({"status": f"choose one of {', '.join(sorted(allowed))}"})
    cycles = sorted(
        {
            r.short_circuit_cycle
            for r in m.AnalysisResult.objects.filter(
                test_run__cell=cell, short_circuit_cycle__isnull=False
            )
        }
    )
    before = snapshot(cell)
    cell.status = status
    cell.save(update_fields=["status", "updated_at"])
    history_record(
        record=cell,
        action=m.HistoryEntry.Action.UPDATED,
        user=user,
        before=before,
        extra={"status_reason": [None, reason], SHORT_REVERSED: [None, cycles]},
    )
    return cell


def short_reversed_cycles(cell: m.Cell) -> set[int]:
    """The short-circuit cycles a person has reversed on ``cell``."""
    out: set[int] = set()
    for changes in m.HistoryEntry.objects.filter(
        record_type="cell", record_id=cell.pk, changes__has_key=SHORT_REVERSED
    ).values_list("changes", flat=True):
        out.update(int(c) for c in (changes.get(SHORT_REVERSED) or [None, []])[1] or [])
    return out


@transaction.atomic
def data_file_remove(*, data_file: m.DataFile, reason: str, user: Any) -> m.DataFileRemoval:
    """Take a file uploaded by mistake off its test run (soft: bytes, tables, jobs and results
    stay; the run's pages and the statistics leave them out). Idempotent refusal: a removed
    file cannot be removed again."""
    reason = _reason(reason)
    if m.DataFileRemoval.objects.filter(data_file=data_file).exists():
        raise ValidationError({"data_file": f"{data_file.original_name} is removed already"})
    removal = m.DataFileRemoval.objects.create(
        data_file=data_file, reason=reason, removed_by=_user(user)
    )
    audit(
        project=data_file.project,
        action="file.removed",
        user=user,
        target=data_file.test_run,
        details={
            "file": [data_file.original_name, None],
            "sha256": [data_file.sha256, None],
            "reason": [None, reason],
        },
    )
    return removal
