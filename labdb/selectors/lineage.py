"""Lineage: everything a record was made from (upstream) or that depends on it (downstream),
at any depth, in a constant number of queries.

The graph is not stored twice: its edges are the foreign keys themselves, gathered by one
``UNION ALL`` and walked by a recursive CTE (the same SQL on PostgreSQL and SQLite). One query
walks the graph; then one query per record type present loads the records, so the number of
queries does not grow with the depth or the size of the lineage.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Model

from labdb import models as m
from labdb.lookups import Many
from labdb.selectors.access import visible
from labdb.selectors.lean import lean_instances

#: (child model, child foreign key column, parent model): the edges of the lineage graph.
EDGES: list[tuple[type[Model], str, type[Model], str]] = [
    (m.MaterialLot, "material_id", m.Material, "lot of"),
    (m.Formulation, "solvent_lot_id", m.MaterialLot, "solvent"),
    (m.Formulation, "previous_version_id", m.Formulation, "new version of"),
    (m.ElectrodeBatch, "formulation_id", m.Formulation, "made with"),
    (m.ElectrodeBatch, "current_collector_lot_id", m.MaterialLot, "current collector"),
    (m.Cell, "anode_batch_id", m.ElectrodeBatch, "anode-side electrode"),
    (m.Cell, "lithium_lot_id", m.MaterialLot, "lithium counter electrode"),
    (m.Cell, "cathode_lot_id", m.MaterialLot, "cathode"),
    (m.Cell, "cathode_coating_lot_id", m.MaterialLot, "cathode coating"),
    (m.Cell, "electrolyte_lot_id", m.MaterialLot, "solid electrolyte"),
    (m.TestRun, "cell_id", m.Cell, "test of"),
    (m.TestRun, "electrode_batch_id", m.ElectrodeBatch, "test of"),
    (m.TestRun, "protocol_id", m.TestProtocol, "protocol"),
    (m.TestRun, "instrument_id", m.Instrument, "instrument"),
    (m.DataFile, "test_run_id", m.TestRun, "recorded in"),
    (m.ParsedTable, "data_file_id", m.DataFile, "parsed from"),
    (m.AnalysisJob, "data_file_id", m.DataFile, "analysis of"),
    (m.AnalysisResult, "job_id", m.AnalysisJob, "result of"),
]
#: Formulation components are an edge table of their own (formulation -> lot).
COMPONENT_EDGE = (m.FormulationComponent, "formulation_id", "lot_id")

MODELS: dict[str, type[Model]] = {
    mdl._meta.model_name or "": mdl for child, _, parent, _ in EDGES for mdl in (child, parent)
}
ROLE: dict[tuple[str, str], str] = {}
for _child, _col, _parent, _role in EDGES:
    ROLE.setdefault((_child._meta.model_name or "", _parent._meta.model_name or ""), _role)
ROLE[("formulation", "materiallot")] = "component"


def _edges_sql() -> str:
    parts = []
    for child, column, parent, _ in EDGES:
        # bandit B608: identifiers from the models' metadata, values passed as parameters
        parts.append(
            f"SELECT '{child._meta.model_name}' AS child_type, {child._meta.pk.column} AS child_id, "  # nosec B608
            f"'{parent._meta.model_name}' AS parent_type, {column} AS parent_id "
            f"FROM {child._meta.db_table} WHERE {column} IS NOT NULL"
        )
    comp, f_col, lot_col = COMPONENT_EDGE
    parts.append(
        f"SELECT 'formulation', {f_col}, 'materiallot', {lot_col} FROM {comp._meta.db_table}"  # nosec B608
    )
    return "\nUNION ALL\n".join(parts)


def _walk_sql(direction: str) -> str:
    # upstream: from a child to its parents; downstream: from a parent to its children
    near, far = ("child", "parent") if direction == "up" else ("parent", "child")
    return f"""
WITH RECURSIVE edges(child_type, child_id, parent_type, parent_id) AS (
{_edges_sql()}
),
walk(from_type, from_id, node_type, node_id, depth) AS (
  SELECT {near}_type, {near}_id, {far}_type, {far}_id, 1 FROM edges
   WHERE {near}_type = %s AND {near}_id = %s
  UNION
  SELECT e.{near}_type, e.{near}_id, e.{far}_type, e.{far}_id, w.depth + 1
    FROM edges e JOIN walk w ON e.{near}_type = w.node_type AND e.{near}_id = w.node_id
   WHERE w.depth < 40
)
SELECT from_type, from_id, node_type, node_id, MIN(depth) FROM walk
 GROUP BY from_type, from_id, node_type, node_id
"""  # nosec B608  # identifiers from code, values passed as parameters


def _steps_sql(direction: str, node_type: str, node_id: str) -> str:
    """PostgreSQL: the edges next to one node, one indexed lookup per edge table (a primary
    key upstream, a foreign key column downstream), as (from, node) pairs."""
    parts = []
    for child, column, parent, _ in EDGES:
        c, p, pk = child._meta.model_name, parent._meta.model_name, child._meta.pk.column
        if direction == "up":
            parts.append(
                f"SELECT '{c}'::text, {pk}, '{p}'::text, {column} FROM {child._meta.db_table} "  # nosec B608: identifiers from the models' metadata and the caller's SQL names
                f"WHERE {node_type} = '{c}' AND {pk} = {node_id} AND {column} IS NOT NULL"
            )
        else:
            parts.append(
                f"SELECT '{p}'::text, {column}, '{c}'::text, {pk} FROM {child._meta.db_table} "  # nosec B608: as above
                f"WHERE {node_type} = '{p}' AND {column} = {node_id}"
            )
    comp, f_col, lot_col = COMPONENT_EDGE
    near, far = (f_col, lot_col) if direction == "up" else (lot_col, f_col)
    near_t, far_t = (
        ("formulation", "materiallot") if direction == "up" else ("materiallot", "formulation")
    )
    parts.append(
        f"SELECT '{near_t}'::text, {near}, '{far_t}'::text, {far} FROM {comp._meta.db_table} "  # nosec B608: as above
        f"WHERE {node_type} = '{near_t}' AND {near} = {node_id}"
    )
    return "\n  UNION ALL\n  ".join(parts)  # nosec B608: identifiers from the models' metadata


def _walk_sql_postgresql(direction: str) -> str:
    """The walk of :func:`_walk_sql` as index lookups from each reached node (LATERAL): its
    cost grows with the lineage, not with the tables (PostgreSQL, see :func:`lineage`)."""
    return f"""
WITH RECURSIVE walk(from_type, from_id, node_type, node_id, depth) AS (
  SELECT e.*, 1 FROM (SELECT %s::text AS t, %s::uuid AS id) r,
    LATERAL ({_steps_sql(direction, "r.t", "r.id")}) e(a, b, c, d)
  UNION
  SELECT e.*, w.depth + 1 FROM walk w,
    LATERAL ({_steps_sql(direction, "w.node_type", "w.node_id")}) e(a, b, c, d)
   WHERE w.depth < 40
)
SELECT from_type, from_id, node_type, node_id, MIN(depth) FROM walk
 GROUP BY from_type, from_id, node_type, node_id
"""  # nosec B608  # identifiers from code, values passed as parameters


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


@dataclass
class Lineage:
    """The records around ``root`` in one direction, with the edges between them."""

    root: Model
    direction: str
    #: every record reached, with its shortest distance from the root
    nodes: dict[tuple[str, uuid.UUID], tuple[Model, int]] = field(default_factory=dict)
    #: (from, to) pairs of node keys, ``from`` nearer the root
    edges: list[tuple[tuple[str, uuid.UUID], tuple[str, uuid.UUID]]] = field(default_factory=list)

    def of_type(self, model: type[Model]) -> list[Model]:
        name = model._meta.model_name
        return [
            obj
            for (t, _), (obj, _) in sorted(self.nodes.items(), key=lambda kv: kv[1][1])
            if t == name
        ]

    def by_type(self) -> list[tuple[str, list[tuple[Model, int]]]]:
        groups: dict[str, list[tuple[Model, int]]] = defaultdict(list)
        for (t, _), (obj, depth) in self.nodes.items():
            groups[t].append((obj, depth))
        order = [mdl._meta.model_name for mdl in MODELS.values()]
        return [
            (str(MODELS[t]._meta.verbose_name_plural), sorted(v, key=lambda x: (x[1], str(x[0]))))
            for t, v in sorted(groups.items(), key=lambda kv: order.index(kv[0]))
        ]


def key_of(record: Model) -> tuple[str, uuid.UUID]:
    return (record._meta.model_name or "", _as_uuid(record.pk))


#: what :func:`record_text` reads of a record (besides its label): a ``lean`` lineage loads
#: only these columns
TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "materiallot": ("label", "d50_nm"),
    "datafile": ("original_name", "sha256"),
    "analysisjob": ("kind", "status"),
    "analysisresult": ("kind", "initial_coulombic_efficiency"),
    "parsedtable": ("format", "rows"),
}


def _records(model: type[Model], user: Any, ids: list[uuid.UUID], lean: bool) -> list[Model]:
    qs = visible(model, user).filter(pk__any_of=Many(ids))
    if not lean:
        return list(qs.select_related("test_run") if model is m.AnalysisResult else qs)
    names = [
        model._meta.get_field(f).attname
        for f in (model._meta.pk.name, *TEXT_FIELDS.get(model._meta.model_name or "", ("label",)))
    ]
    return lean_instances(model, names, qs.values_list(*names))


def lineage(record: Model, user: Any, *, direction: str = "up", lean: bool = False) -> Lineage:
    """Upstream (``direction="up"``) or downstream (``"down"``) of ``record`` at any depth,
    limited to what ``user`` may see. ``lean``: the records carry only what
    :func:`record_text` reads (:data:`TEXT_FIELDS`; the rest deferred, each read a query), for
    the API's lineage and impact: a lot's impact over a decade reaches thousands of runs,
    files, jobs and results (bench/scale.py)."""
    if direction not in ("up", "down"):
        raise ValueError("direction is 'up' or 'down'")
    result = Lineage(root=record, direction=direction)
    name = record._meta.model_name
    if name not in MODELS:
        return result
    pk_param = record._meta.pk.get_db_prep_value(record.pk, connection)
    with connection.cursor() as cursor:
        # PostgreSQL: index lookups from each reached node, both ways (bench/scale.py, a
        # decade: a cell's impact 1.9 s -> 33 ms, a lot's 3.1 s -> 0.26 s); they were slower
        # downstream only while JIT compiled the 38-branch plan (JIT is off, labdb.settings)
        lookups = connection.vendor == "postgresql"
        walk = _walk_sql_postgresql if lookups else _walk_sql
        cursor.execute(walk(direction), [name, pk_param])
        rows = cursor.fetchall()
    depth_of: dict[tuple[str, uuid.UUID], int] = {}
    for from_type, from_id, node_type, node_id, depth in rows:
        src, dst = (from_type, _as_uuid(from_id)), (node_type, _as_uuid(node_id))
        result.edges.append((src, dst))
        depth_of[dst] = min(depth, depth_of.get(dst, depth))
    ids_by_type: dict[str, list[uuid.UUID]] = defaultdict(list)
    for t, pk in depth_of:
        ids_by_type[t].append(pk)
    for t, ids in ids_by_type.items():
        for obj in _records(MODELS[t], user, ids, lean):
            key = key_of(obj)
            result.nodes[key] = (obj, depth_of[key])
    root_key = key_of(record)
    result.edges = [
        (a, b)
        for a, b in result.edges
        if (a == root_key or a in result.nodes) and b in result.nodes
    ]
    return result


def impact(record: Model, user: Any) -> Lineage:
    """Everything that depends on ``record`` (e.g. a contaminated powder lot): cells, runs,
    files, results, at any depth."""
    return lineage(record, user, direction="down")


def record_text(record: Model) -> str:
    """A short label for any record of the lineage (its label, or what identifies a data record)."""
    if isinstance(record, m.MaterialLot) and record.d50_nm:
        return f"{record.label} (D50 {record.d50_nm:g} nm)"
    if isinstance(record, m.DataFile):
        return f"{record.original_name} [{record.sha256[:8]}]"
    if isinstance(record, m.AnalysisJob):
        return f"{record.kind} job ({record.status})"
    if isinstance(record, m.AnalysisResult):
        ice = record.initial_coulombic_efficiency
        return f"{record.kind} result" + (f", ICE {ice:.1%}" if ice is not None else "")
    if isinstance(record, m.ParsedTable):
        return f"table ({record.format}, {record.rows} rows)"
    return str(getattr(record, "label", record))
