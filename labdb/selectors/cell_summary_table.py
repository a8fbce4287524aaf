"""The headline numbers of many cells read from the summary table
(:class:`~labdb.models.CellSummary`), after the cells marked stale since the last read are
recomputed by :func:`labdb.services.cell_summaries.cell_summaries_refresh` with the live query
of :mod:`labdb.selectors.cell_summary` (a module of its own: the refresh service imports that
query, so the reader that calls the refresh cannot live beside it)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection

from labdb import models as m
from labdb.lookups import Many
from labdb.selectors.cell_summary import METRIC_COLUMNS, stored_uuid
from labdb.selectors.headline import CellMetrics
from labdb.selectors.lean import lean_instances
from labdb.services.cell_summaries import cell_summaries_refresh

_TABLE_COLUMNS = ("cell_id", "main_result_id", *METRIC_COLUMNS, "formation_ice", "rct_after")


def cell_summaries(user: Any, cells: Sequence[m.Cell]) -> dict[Any, CellMetrics]:
    """cell pk -> :class:`CellMetrics` of each of ``cells`` (visible to ``user``), read from
    the summary table after the cells marked stale since the last read are recomputed
    (:func:`labdb.services.cell_summaries.cell_summaries_refresh`). The same numbers as
    :func:`live_cell_summaries` for every user who sees the cells (a run is always in its
    cell's project, migration 0032)."""
    out = {c.id: CellMetrics(cell=c, result=None) for c in cells}
    if not cells:
        return out
    cell_summaries_refresh()
    # the compiled query run on a plain cursor: no converter per value (10,000 rows), the
    # RCTs' JSON parsed only for the cells that have any
    sql, params = (
        m.CellSummary.objects.filter(cell_id__any_of=Many(out))
        .order_by()
        .values_list(*_TABLE_COLUMNS)
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    sqlite = connection.vendor == "sqlite"  # UUIDs as hex text there
    mains, ices, with_rct, rct_texts = [], [], [], []
    for cell_id, main_id, *rest in rows:
        *metrics, ice, rct = rest
        cm = out[stored_uuid(cell_id) if sqlite else cell_id]
        if main_id is not None:
            mains.append([stored_uuid(main_id) if sqlite else main_id, *metrics])
            ices.append((cm, ice))
        if rct and rct != "{}":
            with_rct.append(cm)
            rct_texts.append(rct if isinstance(rct, str) else json.dumps(rct))
    # the RCTs' JSON texts parsed in one call (10,000 small objects: a fifth of the time)
    for cm, rct_after in zip(with_rct, json.loads(f"[{','.join(rct_texts)}]"), strict=True):
        cm.rct_after.update(sorted((int(k), v) for k, v in rct_after.items()))
    results = lean_instances(m.AnalysisResult, ["job_id", *METRIC_COLUMNS], mains)
    for (cm, ice), main in zip(ices, results, strict=True):
        cm.take_main(main, ice)
    return out
