"""Reads behind the dashboards: a cell's results, per-cycle series, EIS fits, mechanics of a
batch, replicate statistics for comparisons, jobs.

Every function takes the requesting user and goes through :func:`visible`, so that another
project's results never appear (and a record of another project answers 404 upstream).
A test run may have several results (re-runs with other parameters); pages show the newest.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet

from labdb import models as m
from labdb.lookups import Many
from labdb.models.cycle_rows import rows_of_results
from labdb.selectors.access import visible
from labdb.selectors.cell_infos import CellInfo, cell_infos
from labdb.selectors.headline import LONG_TERM_KINDS, CellMetrics
from labdb.selectors.lean import lean_instances
from labdb.table_parts import read_table

__all__ = ["LONG_TERM_KINDS", "CellInfo", "CellMetrics", "cell_infos"]

#: The analysis kinds whose results a comparison's figures and statistics read
#: (:func:`cell_metrics` and :mod:`labdb.web.compare_plots`): cycling and (in-situ) EIS. A dQ/dV
#: result (the follow-on of every cycling job) or a CV result changes nothing on a comparison.
COMPARED_KINDS = ("cycling", "eis")


def latest_per_run(results: Iterable[m.AnalysisResult]) -> list[m.AnalysisResult]:
    """The newest result of each kind of each test run (results ordered newest first): a run
    whose file mixes techniques (in-situ EIS with its DC cycling) has an EIS and a cycling
    result, and neither hides the other."""
    seen: set[Any] = set()
    out = []
    for r in sorted(results, key=lambda r: r.created_at, reverse=True):
        if (r.test_run_id, r.kind) not in seen:
            seen.add((r.test_run_id, r.kind))
            out.append(r)
    return out


def results_of_cells(
    user: Any, cells: Sequence[m.Cell] | QuerySet[m.Cell], kind: str | None
) -> list[m.AnalysisResult]:
    """The newest result of each run on ``cells`` (of one ``kind``, or all kinds)."""
    qs = (
        visible(m.AnalysisResult, user)
        .filter(test_run__cell__in=cells, job__data_file__removal__isnull=True)
        .select_related("test_run__protocol", "test_run__cell", "job__parsed_table")
    )
    if kind is not None:
        qs = qs.filter(kind=kind)
    return sorted(latest_per_run(qs), key=lambda r: (r.test_run.cell_id, r.test_run.label))


def by_kind(results: Sequence[m.AnalysisResult], kind: str) -> list[m.AnalysisResult]:
    return [r for r in results if r.kind == kind]


def cycling_results(
    user: Any, cell: m.Cell, results: Sequence[m.AnalysisResult] | None = None
) -> list[m.AnalysisResult]:
    """The newest cycling result of each of the cell's runs, long-term cycling first."""
    if results is None:
        results = results_of_cells(user, [cell], "cycling")
    results = by_kind(results, "cycling")
    return sorted(
        results,
        key=lambda r: (r.test_run.protocol.kind not in LONG_TERM_KINDS, -(r.cycle_count or 0)),
    )


def primary_cycling(results: Sequence[m.AnalysisResult]) -> m.AnalysisResult | None:
    """The long-term cycling result among a cell's (the most cycles), else any."""
    long_term = [r for r in results if r.test_run.protocol.kind in LONG_TERM_KINDS]
    pool = long_term or list(results)
    return max(pool, key=lambda r: r.cycle_count or 0) if pool else None


def formation_ice(results: Sequence[m.AnalysisResult]) -> float | None:
    """A full cell's initial CE comes from its formation run when it has one."""
    for r in results:
        if r.test_run.protocol.kind == "formation":
            return r.initial_coulombic_efficiency
    return None


def eis_results(
    user: Any, cell: m.Cell, results: Sequence[m.AnalysisResult] | None = None
) -> list[m.AnalysisResult]:
    """The newest EIS result of each of the cell's runs: after-N-cycles runs by N, then
    in-situ series."""
    if results is None:
        results = results_of_cells(user, [cell], "eis")
    results = by_kind(results, "eis")
    return sorted(
        results,
        key=lambda r: (r.test_run.after_cycles is None, r.test_run.after_cycles or 0, r.pk),
    )


def is_insitu(run: m.TestRun) -> bool:
    """EIS during cycling (an in-situ EIS protocol). An EIS run under an EIS protocol is taken
    after cycling, its N recorded in ``after_cycles`` (or not recorded): never in situ."""
    return run.protocol.kind == m.TestProtocol.Kind.INSITU_EIS


def eis_when(run: m.TestRun) -> str:
    """When an EIS run was taken, as pages say it."""
    if is_insitu(run):
        return "in situ"
    if run.after_cycles is not None:
        return f"after {run.after_cycles} cycles"
    return "after cycling (cycles not recorded)"


def spectra_of(result: m.AnalysisResult) -> list[m.EISSpectrumFit]:
    return list(result.spectra.all())


def resistance(fit: m.EISSpectrumFit, name: str) -> float | None:
    """Rb/RSEI/RCT of a fit in ohm cm2 when the cell's area is known, else ohm."""
    per_area = getattr(fit, f"{name}_ohm_cm2")
    return per_area if per_area is not None else getattr(fit, f"{name}_ohm")


def rct_after(results: Sequence[m.AnalysisResult]) -> dict[int, float | None]:
    """RCT (ohm cm2, else ohm) of the first spectrum of each after-N-cycles EIS run, by N."""
    out: dict[int, float | None] = {}
    for r in results:
        n = r.test_run.after_cycles
        if n is None:
            continue
        first = r.spectra.order_by("spectrum").first()
        out[n] = resistance(first, "rct") if first is not None else None
    return out


def cell_metrics(
    user: Any, cells: Sequence[m.Cell], results: Sequence[m.AnalysisResult] | None = None
) -> dict[Any, CellMetrics]:
    """Headline metrics of each cell: from ``results`` when the caller has them (a saved
    comparison's pinned results), else picked by the database from each run's newest results
    (:func:`labdb.selectors.cell_summary.cell_summaries`, the same rules in SQL)."""
    if results is None:
        from labdb.selectors.cell_summary_table import cell_summaries

        return cell_summaries(user, cells)
    cycling = by_kind(results, "cycling")
    eis = by_kind(results, "eis")
    fits = {
        f.result_id: f
        for f in m.EISSpectrumFit.objects.filter(result__in=eis).order_by("-spectrum")
    }  # the first spectrum wins: ordered last
    by_cell: dict[Any, list[m.AnalysisResult]] = {}
    for r in cycling:
        by_cell.setdefault(r.test_run.cell_id, []).append(r)
    eis_of: dict[Any, list[m.AnalysisResult]] = {}
    for r in eis:
        eis_of.setdefault(r.test_run.cell_id, []).append(r)
    out: dict[Any, CellMetrics] = {}
    for cell in cells:
        results = by_cell.get(cell.pk, [])
        main = primary_cycling(results)
        cm = CellMetrics(cell=cell, result=main)
        if main is not None:
            cm.take_main(main, formation_ice(results) if cell.kind == "full" else None)
        for r in eis_of.get(cell.pk, []):
            if r.test_run.after_cycles is not None:
                fit = fits.get(r.pk)
                cm.rct_after[r.test_run.after_cycles] = (
                    resistance(fit, "rct") if fit is not None else None
                )
        out[cell.pk] = cm
    return out


# --- per-cycle series --------------------------------------------------------------------


def cycle_columns(result: m.AnalysisResult, names: Sequence[str]) -> dict[str, list[Any]]:
    """Columns of a cycling result's per-cycle rows (key columns or keys of ``values``),
    complete cycles only for the CE-derived ones."""
    key_columns = {
        "charge_capacity_mAh",
        "discharge_capacity_mAh",
        "plating_capacity_mAh",
        "stripping_capacity_mAh",
        "coulombic_efficiency",
    }
    fields = ["cycle", *[n for n in names if n in key_columns]]
    need_values = any(n not in key_columns for n in names)
    if need_values:
        fields.append("values")
    rows = (
        m.CycleResult.objects.of_result(result)
        .filter(cycle__gte=1)
        .order_by("cycle")
        .values_list(*fields)
    )
    out: dict[str, list[Any]] = {n: [] for n in ["cycle", *names]}
    for row in rows:
        rec = dict(zip(fields, row, strict=True))
        values = rec.get("values") or {}
        out["cycle"].append(rec["cycle"])
        for n in names:
            out[n].append(rec[n] if n in key_columns else values.get(n))
    return out


def cumulative_ce_at(results: Sequence[m.AnalysisResult], cycle: int) -> dict[Any, float | None]:
    """result pk -> the stored cumulative CE (fraction) at ``cycle``: the product of the
    per-cycle CEs of cycles 1..``cycle`` (docs/metrics-cycling.md), as the result's cycle row
    stores it. A cell's main result carries its series in the cell's summary
    (``CellSummary.cumulative_ce_by_cycle``, a copy of those rows: results are immutable), read
    by position in one query over one narrow row per cell; any other result (a saved
    comparison's pinned one) from its cycle row (10,000 heap lookups into the per-cycle table
    at a decade's scale)."""
    out: dict[Any, float | None] = {r.job_id: None for r in results}
    if not out or cycle < 1:
        return out
    # the compiled query on a plain cursor: each value parsed once, as a number, without a
    # JSON converter per row (10,000 rows at a decade's scale)
    sql, params = (
        m.CellSummary.objects.filter(
            main_result_id__any_of=Many(out), cumulative_ce_by_cycle__isnull=False
        )
        .order_by()
        .values_list("main_result_id", f"cumulative_ce_by_cycle__{cycle - 1}")
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "postgresql":  # JSON texts (NULL past the series): one parse
        values = json.loads(f"[{','.join('null' if v is None else v for _, v in rows)}]")
        pks = [pk for pk, _ in rows]
    else:  # numbers, or texts for JSON null, true, false and strings (SQLite)
        to_pk = m.AnalysisResult._meta.pk.to_python  # type: ignore[union-attr]
        values = [_json_value(v) for _, v in rows]
        pks = [to_pk(pk) for pk, _ in rows]
    found = set(pks)
    for pk, value in zip(pks, values, strict=True):
        out[pk] = float(value) if isinstance(value, int | float) else None
    rest = [pk for pk in out if pk not in found]
    if not rest:
        return out
    # only the one key of each row's values (rows_of_results: the rows valid for each result,
    # its lineage's where it has one)
    for result_id, (value,) in rows_of_results(
        rest, ("values__cumulative_coulombic_efficiency",), cycle=cycle
    ):
        out[result_id] = float(value) if isinstance(value, int | float) else None
    return out


def _json_value(value: Any) -> Any:
    """A JSON value as SQLite's ``JSON_EXTRACT`` returns it (a number, or text for null,
    true, false and strings) as Django's JSON field would read it."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:  # a JSON string, given unquoted
            return value
    return value


def accepted_flags(results: Iterable[m.AnalysisResult]) -> dict[Any, dict[str, Any]]:
    """result pk -> metric -> the standing :class:`~labdb.models.FlagAcceptance` (one query):
    the implausible values a person accepted with a reason."""
    out: dict[Any, dict[str, Any]] = {}
    for a in m.FlagAcceptance.objects.filter(
        result_id__any_of=Many(r.job_id for r in results), withdrawn_at__isnull=True
    ).select_related("accepted_by"):
        out.setdefault(a.result_id, {})[a.metric] = a
    return out


def raw_table(result: m.AnalysisResult, columns: Sequence[str]) -> pd.DataFrame | None:
    """Columns of the canonical table the result was computed from (None if not stored)."""
    parsed = result.job.parsed_table
    if parsed is None:
        return None
    have = [c for c in columns if c in parsed.columns]
    return read_table(parsed.sha256, have)


def cached(key: str, compute: Any, timeout: int = 3600) -> Any:
    """Memoise a derived series of immutable inputs (parsed tables never change)."""
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


# --- grouping for comparisons ------------------------------------------------------------

GROUPINGS = {
    "formulation": "formulation",
    "seed": "seed",
    "binder": "binder",
    "kind": "cell kind",
    "cell": "cell (no grouping)",
    "version": "formulation version",
    "seed_lot": "seed lot",
    "electrolyte_lot": "solid-electrolyte lot",
    "batch": "electrode batch",
    "operator": "operator (cell assembly)",
    "channel": "instrument channel (cycling)",
}


def group_key(info: CellInfo, by: str) -> str:
    """The group a cell belongs to; half and full cells are never pooled."""
    kind = info.cell.kind
    if by == "cell":
        return info.cell.label
    if by == "kind":
        return str(info.cell.get_kind_display()).split(" (")[0]
    base = {"formulation": info.formulation, "seed": info.seeds, "binder": info.binder}.get(by)
    if base is None:
        base = getattr(info, by)
    return f"{base} ({kind})"


#: the fields of a cell that /compare/ and the statistics API read (label, kind, the records
#: it was built from); the rest stays deferred: 10,000 cells load in half the time
LEAN_CELL_FIELDS = (
    "id",
    "label",
    "project",
    "kind",
    "anode_batch",
    "lithium_lot",
    "cathode_lot",
    "cathode_coating_lot",
    "electrolyte_lot",
    "operator",
)


def comparison_cells(
    user: Any,
    *,
    labels: Sequence[str] = (),
    kind: str = "",
    seed: str = "",
    binder: str = "",
    related: bool = True,
) -> list[CellInfo]:
    """The visible cells chosen by label, or all visible cells matching the filters; with
    ``related=False`` the cells come without their batch, lots and operator loaded and with
    only :data:`LEAN_CELL_FIELDS`: 10,000 cells of a decade load in a fifth of the time, for
    pages that show only labels and numbers (/compare/, the statistics API)."""
    qs = visible(m.Cell, user)
    if labels:
        qs = qs.filter(label__in=labels)
    if kind:
        qs = qs.filter(kind=kind)
    qs = qs.order_by("label")
    if related:
        cells = list(qs.select_related("anode_batch__formulation", "electrolyte_lot", "operator"))
    else:  # what grouping, the headline numbers and the quarantine flags read of a cell
        names = [m.Cell._meta.get_field(f).attname for f in LEAN_CELL_FIELDS]
        cells = lean_instances(m.Cell, names, qs.values_list(*names))
    infos = cell_infos(cells)
    return [
        i
        for i in infos.values()
        if (not seed or i.seeds == seed) and (not binder or i.binder == binder)
    ]


def grouped(infos: Sequence[CellInfo], by: str) -> dict[str, list[CellInfo]]:
    groups: dict[str, list[CellInfo]] = {}
    for info in infos:
        groups.setdefault(group_key(info, by), []).append(info)
    return groups


def mean_sd(values: Iterable[float | None]) -> tuple[float | None, float | None, int]:
    """Mean, sample standard deviation (None below two values) and count of the non-null,
    finite values."""
    xs = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not xs:
        return None, None, 0
    return statistics.fmean(xs), (statistics.stdev(xs) if len(xs) > 1 else None), len(xs)


# --- mechanics ---------------------------------------------------------------------------

MECHANICS_METRICS = (
    ("peel", "peel_strength_gf_per_mm", "peel strength (gf/mm)"),
    ("scratch", "critical_load_mN", "critical scratch load (mN)"),
    ("scratch", "mean_elastic_recovery", "scratch elastic recovery"),
    ("indentation", "elastic_recovery", "indentation elastic recovery"),
    ("indentation", "hardness_GPa", "hardness (GPa)"),
    ("indentation", "reduced_modulus_GPa", "reduced modulus (GPa)"),
)


def batch_results(user: Any, batches: Sequence[m.ElectrodeBatch]) -> list[m.AnalysisResult]:
    """The newest peel/scratch/indentation/CV result of each run on the batches or on cells
    made from them."""
    from django.db.models import Q

    qs = (
        visible(m.AnalysisResult, user)
        .filter(kind__in=["peel", "scratch", "indentation", "cv"])
        .filter(job__data_file__removal__isnull=True)
        .filter(
            Q(test_run__electrode_batch__in=batches) | Q(test_run__cell__anode_batch__in=batches)
        )
        .select_related("test_run__electrode_batch", "test_run__cell", "job__parsed_table")
    )
    return sorted(latest_per_run(qs), key=lambda r: (r.kind, r.test_run.label))


def binder_of_batches(batches: Sequence[m.ElectrodeBatch]) -> dict[Any, str]:
    rows = m.FormulationComponent.objects.filter(
        formulation__batches__in=batches, role="binder"
    ).values_list("formulation__batches", "lot__material__name")
    out: dict[Any, set[str]] = {}
    for batch_id, name in rows:
        out.setdefault(batch_id, set()).add(name)
    return {k: "+".join(sorted(v)) for k, v in out.items()}


def mechanics_by_binder(user: Any) -> dict[str, dict[str, list[tuple[str, float]]]]:
    """binder -> metric key -> [(batch label, value)], over the user's batches."""
    batches = list(visible(m.ElectrodeBatch, user))
    binders = binder_of_batches(batches)
    out: dict[str, dict[str, list[tuple[str, float]]]] = {}
    for r in batch_results(user, batches):
        batch = r.test_run.electrode_batch
        if batch is None:
            continue
        binder = binders.get(batch.pk, "none")
        for kind, key, _ in MECHANICS_METRICS:
            value = r.summary.get(key) if r.kind == kind else None
            if isinstance(value, int | float) and math.isfinite(value):
                out.setdefault(binder, {}).setdefault(key, []).append((batch.label, float(value)))
    return out


# --- jobs --------------------------------------------------------------------------------


def jobs_for(user: Any, *, status: str = "", kind: str = "") -> QuerySet[m.AnalysisJob]:
    qs = visible(m.AnalysisJob, user).select_related(
        "data_file__test_run__cell", "data_file__test_run__electrode_batch"
    )
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-queued_at")


def active_jobs(user: Any, limit: int = 10) -> list[m.AnalysisJob]:
    return list(
        jobs_for(user).filter(
            status__in=[m.AnalysisJob.Status.QUEUED, m.AnalysisJob.Status.RUNNING]
        )[:limit]
    )
