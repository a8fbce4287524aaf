"""The database's pick of each cell's headline numbers (labdb.selectors.cell_summary) gives
the numbers the Python summary of every result gives (results.cell_metrics with the results),
on the demo study analysed through the pipeline, with a re-analysis and a removed file; and
the /compare/ statistics built from it are the same.

The check runs inside ``tests/labdb/test_demo.py::test_demo_data_goes_through_the_pipeline_
and_answers_the_papers_questions``, on the demo study that test analysed."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from analysis.statistics import describe, outliers
from labdb import models as m
from labdb.plausibility import CELL_METRIC_COLUMNS, metric_flag
from labdb.selectors import results as sel
from labdb.selectors.cell_summary import deviating_results
from labdb.selectors.cell_summary_table import cell_summaries
from labdb.selectors.statistics import COMMON_CE, run_deviations, study_statistics
from labdb.services.jobs import job_rerun
from labdb.services.reviews import data_file_remove

FIELDS = [f.name for f in dataclasses.fields(sel.CellMetrics) if f.name not in ("cell", "result")]


def _python(user: Any, cells: list[m.Cell]) -> dict[Any, sel.CellMetrics]:
    """The summary built in Python from every newest result of the cells."""
    return sel.cell_metrics(user, cells, sel.results_of_cells(user, cells, None))


def _reference_groups(
    groups: dict[str, list[sel.CellInfo]],
    metrics: dict[Any, sel.CellMetrics],
    key: str,
    at_common: dict[Any, float | None],
    accepted: dict[Any, dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """The per-cell rule the page used before its values became numpy arrays, one cell at a
    time: a value counts unless it breaks its plausible range and nobody accepted it."""
    column = CELL_METRIC_COLUMNS.get("cumulative_ce" if key == COMMON_CE else key, key)
    out = {}
    for group, infos in groups.items():
        values, implausible, counted = [], [], []
        for info in infos:
            cm = metrics[info.cell.pk]
            if key == COMMON_CE:
                v = at_common.get(cm.result.pk) if cm.result is not None else None
            else:
                v = cm.value(key)
            if v is None:
                continue
            flag = metric_flag(column, v)
            ok = (
                flag is not None
                and cm.result is not None
                and flag.metric in accepted.get(cm.result.pk, {})
            )
            if flag is not None and not ok:
                implausible.append((info.cell.label, flag.text))
                continue
            if flag is not None:
                counted.append(info.cell.label)
            values.append((info.cell.label, v))
        out[group] = {
            "summary": describe([v for _, v in values]),
            "values": values,
            "implausible": implausible,
            "accepted": counted,
            "outliers": [(values[o.index][0], o.reason) for o in outliers([v for _, v in values])],
        }
    return out


def _same_as_reference(stats: Any, groups: Any, metrics: Any, user: Any) -> int:
    """Every metric's group statistics equal the one-cell-at-a-time rule; the number of values
    left out as implausible or counted as accepted (so a caller can see the rule was hit)."""
    mains = [cm.result for cm in metrics.values() if cm.result is not None]
    common = next((s for s in stats.metrics if s.key == COMMON_CE), None)
    cycle = int(common.label.rsplit(" ", 1)[1]) if common is not None else None
    at_common = sel.cumulative_ce_at(mains, cycle) if cycle else {}
    accepted = sel.accepted_flags(mains)
    flagged = 0
    for metric in stats.metrics:
        want = _reference_groups(groups, metrics, metric.key, at_common, accepted)
        for group, got in metric.groups.items():
            ref = want[group]
            assert got.summary == ref["summary"], (metric.key, group)
            assert got.values == ref["values"], (metric.key, group)
            assert got.implausible == ref["implausible"], (metric.key, group)
            assert got.accepted == ref["accepted"], (metric.key, group)
            assert got.outliers == ref["outliers"], (metric.key, group)
            flagged += len(got.implausible) + len(got.accepted)
    return flagged


def _same(sql: dict[Any, sel.CellMetrics], py: dict[Any, sel.CellMetrics]) -> None:
    assert sql.keys() == py.keys()
    for pk, expected in py.items():
        got = sql[pk]
        label = expected.cell.label
        assert (got.result.pk if got.result else None) == (
            expected.result.pk if expected.result else None
        ), label
        for name in FIELDS:
            assert getattr(got, name) == getattr(expected, name), (label, name)


def check_cell_summaries_on_the_demo_study() -> None:
    """Called by ``tests/labdb/test_demo.py`` on the demo study it analysed (analysing the 32
    files is most of either test's time, so the study is analysed once): the database's
    summaries and the /compare/ statistics equal the Python summary, before and after a
    re-analysis and a removed file."""
    user = get_user_model().objects.get(username="demo")
    cells = list(m.Cell.objects.order_by("label"))

    sql = cell_summaries(user, cells)
    _same(sql, _python(user, cells))
    # every cycling run is followed by a dQ/dV result; the headline is never one
    assert m.AnalysisResult.objects.filter(kind="dqdv").exists()
    assert {s.result.kind for s in sql.values() if s.result is not None} == {"cycling"}
    # the demo exercises the rules: a full cell's ICE from its formation run, RCT after 5
    # and 10 cycles, the long-term run chosen over the cell's other runs
    full = sql[m.Cell.objects.get(label="MgAgSn-E-FC1").pk]
    formation = m.AnalysisResult.objects.get(
        test_run__label="MgAgSn-E-FC1-FORM-0.1C", kind="cycling"
    )  # (the dQ/dV result that follows it has no ICE)
    assert full.ice == formation.initial_coulombic_efficiency
    assert full.ice != full.result.initial_coulombic_efficiency
    assert full.result.test_run.label == "MgAgSn-E-FC1-CYC-0.5C"
    half = sql[m.Cell.objects.get(label="MgAgSn-E-HC1").pk]
    assert set(half.rct_after) == {5, 10} and all(v is not None for v in half.rct_after.values())
    assert half.result.test_run.label == "MgAgSn-E-HC1-PS-1mA-1mAh"

    # a re-analysis replaces its run's result; a removed file takes its results out
    mg = m.AnalysisResult.objects.get(test_run__label="Mg-E-HC1-PS-1mA-1mAh", kind="cycling")
    again, created = job_rerun(job=mg.job, parameters={"capacity_source": "integration"}, user=user)
    assert created
    again.refresh_from_db()
    assert again.status == "succeeded", again.error
    eis10 = m.AnalysisResult.objects.get(test_run__label="MgAgSn-E-HC1-EIS-10cyc")
    data_file_remove(data_file=eis10.job.data_file, reason="uploaded twice", user=user)
    sql = cell_summaries(user, cells)
    _same(sql, _python(user, cells))
    assert sql[mg.test_run.cell_id].result.pk == again.pk
    assert set(sql[half.cell.pk].rct_after) == {5}

    # the statistics of /compare/ over every cell, grouped by seed: the same numbers
    infos = sel.comparison_cells(user)
    groups = sel.grouped(infos, "seed")
    py_stats = study_statistics(groups, _python(user, cells), by="seed").to_dict()
    sql_metrics = sel.cell_metrics(user, cells)
    sql_stats = study_statistics(groups, sql_metrics, by="seed").to_dict()
    assert sql_stats == py_stats
    # the group statistics (numpy arrays per group) equal the one-cell-at-a-time rule, also
    # for a value outside its plausible range (left out) and for one a person accepted
    hc1 = sql_metrics[half.cell.pk]
    hc1.average_ce = 1.2  # above 100 % + 1 point: implausible
    full_metrics = sql_metrics[full.cell.pk]
    full_metrics.ice = 1.5
    m.FlagAcceptance.objects.create(
        project=full.cell.project,
        result=full_metrics.result,
        metric="initial_coulombic_efficiency",
        reason="reservoir cell",
        accepted_by=user,
    )
    stats = study_statistics(groups, sql_metrics, by="seed")
    assert _same_as_reference(stats, groups, sql_metrics, user) >= 2
    ace = stats.metric("average_ce")
    assert ace is not None
    assert "MgAgSn-E-HC1" in [c for g in ace.groups.values() for c, _ in g.implausible]
    ice_stats = stats.metric("ice")
    assert ice_stats is not None
    assert ["MgAgSn-E-FC1"] in [g.accepted for g in ice_stats.groups.values()]
    ice = next(s for s in sql_stats["metrics"] if s["key"] == "ice")
    assert ice["groups"]["Ag+Mg+Sn (half)"]["n"] >= 2
    assert run_deviations(deviating_results(user, cells)) == run_deviations(
        sel.results_of_cells(user, cells, None)
    )

    client = Client()
    client.force_login(user)
    page = client.get("/compare/?group=seed")
    assert page.status_code == 200
    mean = ice["groups"]["Ag+Mg+Sn (half)"]["mean"]
    assert repr(mean) in page.content.decode()
