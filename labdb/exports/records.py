"""The set of records an export covers, gathered from a root record or a whole project.

Upstream is everything a record was made from (lots, formulation versions, batch, cell, run,
protocol, instrument, raw file, parsed table, analysis, and for a dQ/dV analysis that read a
cycling result's stored curves, that result). Downstream is everything that depends on
it; an export of a lot, a cell, a test run or a data file (and of a material, instrument or
protocol) includes its downstream records and, so that each of those is explained, their upstream.
A project covers every record of the project.

The walk follows the foreign keys with the ORM; exports are rare and small next to the web
lineage view (``labdb.selectors.lineage``), which answers in a constant number of queries.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db.models import Model, Q

from labdb import models as m
from labdb.services.follow_on import cycling_result_used, jobs_reusing

M = TypeVar("M", bound=Model)

#: Roots whose export also covers what depends on them.
DOWNSTREAM_ROOTS: tuple[type[Model], ...] = (
    m.Material,
    m.MaterialLot,
    m.Cell,
    m.TestRun,
    m.DataFile,
    m.Instrument,
    m.TestProtocol,
)

Key = tuple[str, Any]


def key_of(obj: Model) -> Key:
    return (type(obj)._meta.label_lower, obj.pk)


@dataclass
class RecordSet:
    """Records gathered for an export, keyed by (model label, primary key)."""

    root: Model | m.Project
    records: dict[Key, Model] = field(default_factory=dict)

    def add(self, obj: Model | None) -> bool:
        if obj is None:
            return False
        k = key_of(obj)
        if k in self.records:
            return False
        self.records[k] = obj
        return True

    def __contains__(self, obj: object) -> bool:
        return isinstance(obj, Model) and key_of(obj) in self.records

    def of(self, model: type[M]) -> list[M]:
        """The records of ``model``, in a stable order (label, else creation, else pk)."""
        items = [o for o in self.records.values() if type(o) is model]
        return sorted(items, key=_sort_key)  # type: ignore[arg-type]


def _sort_key(obj: Model) -> tuple[str, str]:
    for attr in ("label", "original_name", "queued_at", "created_at"):
        value = getattr(obj, attr, None)
        if value is not None:
            return (str(value), str(obj.pk))
    return ("", str(obj.pk))


def _parents(obj: Model) -> Iterator[Model | None]:
    if isinstance(obj, m.Formulation):
        yield obj.solvent_lot
        yield obj.previous_version
        for component in obj.components.select_related("lot__material"):
            yield component.lot
    elif isinstance(obj, m.ElectrodeBatch):
        yield obj.formulation
        yield obj.current_collector_lot
    elif isinstance(obj, m.Cell):
        yield obj.anode_batch
        yield obj.lithium_lot
        yield obj.cathode_lot
        yield obj.cathode_coating_lot
        yield obj.electrolyte_lot
    elif isinstance(obj, m.TestRun):
        yield obj.cell
        yield obj.electrode_batch
        yield obj.protocol
        yield obj.instrument
    elif isinstance(obj, m.DataFile):
        yield obj.test_run
    elif isinstance(obj, m.ParsedTable):
        yield obj.data_file
    elif isinstance(obj, m.AnalysisJob):
        yield obj.data_file
        yield obj.parsed_table
        yield cycling_result_used(obj)  # a dQ/dV run that read a cycling result's curves
    elif isinstance(obj, m.AnalysisResult):
        yield obj.job


def _children(obj: Model) -> Iterable[Model]:
    if isinstance(obj, m.Material):
        return obj.lots.all()
    if isinstance(obj, m.MaterialLot):
        lot_q = (
            Q(lithium_lot=obj)
            | Q(cathode_lot=obj)
            | Q(cathode_coating_lot=obj)
            | Q(electrolyte_lot=obj)
        )
        return [
            *m.Formulation.objects.filter(Q(components__lot=obj) | Q(solvent_lot=obj)).distinct(),
            *m.ElectrodeBatch.objects.filter(current_collector_lot=obj),
            *m.Cell.objects.filter(lot_q),
        ]
    if isinstance(obj, m.Formulation):
        return [*m.Formulation.objects.filter(previous_version=obj), *obj.batches.all()]
    if isinstance(obj, m.ElectrodeBatch):
        return [*obj.cells.all(), *obj.test_runs.all()]
    if isinstance(obj, m.Cell):
        return obj.test_runs.all()
    if isinstance(obj, m.TestRun):
        return obj.files.all()
    if isinstance(obj, m.DataFile):
        return [*obj.tables.all(), *obj.jobs.all()]
    if isinstance(obj, m.ParsedTable):
        return obj.jobs.all()
    if isinstance(obj, m.AnalysisJob):
        return m.AnalysisResult.objects.filter(job=obj)
    if isinstance(obj, m.AnalysisResult):
        return jobs_reusing(obj)
    if isinstance(obj, (m.Instrument, m.TestProtocol)):
        return obj.runs.all()
    return []


def _walk(start: Iterable[Model], step: Any, into: RecordSet) -> list[Model]:
    reached: list[Model] = []
    queue = list(start)
    seen: set[Key] = set()
    while queue:
        obj = queue.pop()
        k = key_of(obj)
        if k in seen:
            continue
        seen.add(k)
        reached.append(obj)
        into.add(obj)
        queue.extend(o for o in step(obj) if o is not None)
    return reached


def collect(root: Model | m.Project, *, downstream: bool | None = None) -> RecordSet:
    """The records an export of ``root`` covers (see the module docstring).

    ``downstream`` overrides the default (True for :data:`DOWNSTREAM_ROOTS`).
    """
    result = RecordSet(root=root)
    if isinstance(root, m.Project):
        for model in (*m.CATALOG_MODELS, m.DataFile, m.AnalysisJob):
            for obj in model._default_manager.filter(project=root):
                result.add(obj)
        for table in m.ParsedTable.objects.filter(data_file__project=root):
            result.add(table)
        for res in m.AnalysisResult.objects.filter(job__project=root):
            result.add(res)
        return result
    if downstream is None:
        downstream = isinstance(root, DOWNSTREAM_ROOTS)
    seeds: list[Model] = [root]
    if downstream:
        seeds = _walk([root], _children, result)
    _walk(seeds, _parents, result)
    if isinstance(root, m.Material):
        result.add(root)
    return result


def materials_of(records: RecordSet) -> None:
    """Add the material of every lot (contextual information for crates)."""
    for lot in records.of(m.MaterialLot):
        records.add(lot.material)


def as_uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


#: Models searched by label (CatalogRecord subclasses), in the order they are reported.
LABELLED: tuple[type[Model], ...] = m.CATALOG_MODELS
#: Models searched by UUID besides the labelled ones (an analysis result shares its job's id).
BY_UUID: tuple[type[Model], ...] = (m.DataFile, m.ParsedTable, m.AnalysisResult, m.AnalysisJob)


class RecordLookupError(LookupError):
    """No record, or more than one, matches a label or id; the message says which."""


def find_record(key: str, *, projects: bool = True) -> Model:
    """The record whose label, UUID (or, for a raw file, sha256) is ``key``.

    Searches every catalog record type (and projects when ``projects``); a UUID also matches
    data files, parsed tables, analysis results and jobs (a job's result wins over the job, as
    its export covers the job). Raises :class:`RecordLookupError` naming the candidates when
    nothing or more than one record matches.
    """
    key = key.strip()
    found: list[Model] = []
    uid = as_uuid(key)
    if uid is not None:
        for model in (m.Project, *LABELLED, *BY_UUID) if projects else (*LABELLED, *BY_UUID):
            obj = model._default_manager.filter(pk=uid).first()
            if obj is not None:
                found.append(obj)
        if any(isinstance(o, m.AnalysisResult) for o in found):
            found = [o for o in found if not isinstance(o, m.AnalysisJob)]
    else:
        models = (m.Project, *LABELLED) if projects else LABELLED
        for model in models:
            found.extend(model._default_manager.filter(label=key))
        if not found and len(key) == 64:
            found.extend(m.DataFile.objects.filter(sha256=key.lower()))
    if not found:
        raise RecordLookupError(f"no record has the label, id or sha256 {key!r}")
    if len(found) > 1:
        names = ", ".join(f"{type(o)._meta.verbose_name} {o.pk}" for o in found)
        raise RecordLookupError(f"{key!r} is ambiguous; it matches {names}. Give the UUID.")
    return found[0]
