"""The run-metric columns are defined once (``RUN_METRICS``): the model's columns, the
analysis's metric keys and the API's filters all agree with that table."""

from __future__ import annotations

import pytest
from django.db import models

from analysis import pipelines
from labdb import models as m
from labdb.api.filters import ResultFilter
from labdb.services.results import metric_columns
from tests.analysis.cycling.cycling_synthetic import Protocol, build


def test_every_metric_column_of_a_result_is_in_the_table() -> None:
    numeric = {
        f.name: isinstance(f, models.IntegerField)
        for f in m.AnalysisResult._meta.get_fields()
        if isinstance(f, models.FloatField | models.IntegerField)
        and f.name != "cycles_seq"  # the place in a lineage of per-cycle rows, no metric
    }
    assert numeric == {rm.column: rm.integer for rm in m.RUN_METRICS}


def test_every_metric_key_is_one_the_cycling_analysis_reports() -> None:
    table, _ = build(Protocol(cycles=4, coulombic_efficiency=[0.9, 0.95, 0.97, 0.98]))
    metrics = pipelines.run("cycling", table, {"cell_type": "half"}).summary["metrics"]
    assert {rm.metric for rm in m.RUN_METRICS} <= set(metrics)
    assert metrics["number_of_cycles"] == 4


def test_the_api_filters_each_filterable_metric_by_range() -> None:
    names = set(ResultFilter.base_filters)
    for rm in m.RUN_METRICS:
        assert ({f"{rm.column}_min", f"{rm.column}_max"} <= names) == rm.filterable


def test_a_cycling_result_fills_the_columns_from_its_metrics() -> None:
    table, _ = build(Protocol(cycles=3, coulombic_efficiency=[0.9, 0.95, 0.97]))
    data = pipelines.run("cycling", table, {"cell_type": "half"}).to_json()
    columns = metric_columns(data)
    assert columns["cycle_count"] == 3
    assert columns["cumulative_coulombic_efficiency"] == pytest.approx(0.9 * 0.95 * 0.97)
