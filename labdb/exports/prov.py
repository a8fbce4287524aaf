"""W3C PROV documents of a record's provenance, built with the ``prov`` library.

:func:`provenance_document` covers the record's whole upstream, and for a lot, a cell, a test run
or a data file (also a material, instrument or protocol) its downstream too (see
:mod:`labdb.exports.records`); a project covers all of its records. The document holds:

Entities
    ``labdb:lot/<uuid>`` (material, supplier, lot number, D10/D50/D90 in nm, purity in %,
    category properties), ``labdb:formulation/<uuid>`` (name, version, solids content, target
    thickness, and each component as ``labdb:component`` text; revisions are
    ``wasRevisionOf`` the previous version), ``labdb:batch/<uuid>``, ``labdb:cell/<uuid>``,
    ``labdb:protocol/<uuid>`` (a ``prov:Plan`` with its parameters), ``labdb:data-file/<uuid>``
    (sha256, size, original name), ``labdb:parsed-table/<uuid>`` (sha256 of the Parquet blob,
    parser and version, rows, columns) and ``labdb:analysis-result/<job uuid>`` (kind, metrics).
Activities
    ``labdb:batch/<uuid>/step/<n>`` for each process step (kind, method, gap, temperature,
    duration, atmosphere, pressure, speed), ``labdb:cell/<uuid>/build``,
    ``labdb:test-run/<uuid>`` (protocol, channel, status, start time),
    ``labdb:parsed-table/<uuid>/parse`` and ``labdb:analysis/<job uuid>`` (kind, analysis code
    version, git commit, canonical parameters and their sha256, input and output sha256, library
    versions, worker host, start and end times, status).
Agents
    ``labdb:user/<id>`` (people), ``labdb:instrument/<uuid>`` (cyclers, potentiostats, ...),
    ``labdb:software/labdb-analysis/<version>`` and ``labdb:software/<parser>/<version>``.
Relations
    used, wasGeneratedBy, wasDerivedFrom (formulation from its lots, carrying the role and mass
    fraction), wasRevisionOf, wasInformedBy (consecutive process steps), wasAssociatedWith
    (operators, instruments with the protocol as plan, software) and wasAttributedTo (who
    registered a file or created a record).

Identifiers are stable: the namespace is ``settings.LABDB_PROV_NAMESPACE`` when set, else
:data:`DEFAULT_NAMESPACE`, and each record keeps its UUID. Every node has a ``prov:label``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.conf import settings
from django.db.models import Model
from prov.constants import PROV_LABEL, PROV_ROLE, PROV_TYPE
from prov.model import PROV, ProvActivity, ProvAgent, ProvDocument, ProvEntity

from labdb import models as m
from labdb.exports.records import RecordSet, collect
from labdb.provenance import canonical_json

DEFAULT_NAMESPACE = "https://labdb.example.org/id/"
PREFIX = "labdb"
FORMATS = ("prov-json", "prov-n", "text")


def namespace_uri() -> str:
    return str(getattr(settings, "LABDB_PROV_NAMESPACE", DEFAULT_NAMESPACE))


#: URI path segment of each record type: ``labdb:<segment>/<uuid>``.
SEGMENT: dict[type[Model], str] = {
    m.Material: "material",
    m.MaterialLot: "lot",
    m.Formulation: "formulation",
    m.ElectrodeBatch: "batch",
    m.Cell: "cell",
    m.Instrument: "instrument",
    m.TestProtocol: "protocol",
    m.TestRun: "test-run",
    m.DataFile: "data-file",
    m.ParsedTable: "parsed-table",
    m.AnalysisJob: "analysis",
    m.AnalysisResult: "analysis-result",
    m.Project: "project",
}


def record_id(obj: Model) -> str:
    """The record's qualified name in the document, e.g. ``labdb:cell/<uuid>``."""
    return f"{PREFIX}:{SEGMENT[type(obj)]}/{obj.pk}"


def _q(local: str) -> str:
    return f"{PREFIX}:{local}"


def _value(value: Any) -> Any:
    """An attribute value the prov library round-trips: str, int, float or datetime."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str, dt.datetime)):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (dict, list, tuple)):
        return canonical_json(value)
    return str(value)


def _attrs(label: str, ptype: Any = None, **values: Any) -> dict[Any, Any]:
    attrs: dict[Any, Any] = {PROV_LABEL: label}
    if ptype is not None:
        attrs[PROV_TYPE] = ptype
    for key, value in values.items():
        if value is None or value == "" or value == {} or value == []:
            continue
        attrs[_q(key)] = _value(value)
    return attrs


class _Builder:
    def __init__(self, records: RecordSet) -> None:
        self.records = records
        self.doc = ProvDocument()
        self.doc.add_namespace(PREFIX, namespace_uri())
        self.agents: dict[str, ProvAgent] = {}

    # agents -----------------------------------------------------------------------------
    def user(self, user: Any) -> ProvAgent | None:
        if user is None:
            return None
        ident = _q(f"user/{user.pk}")
        if ident not in self.agents:
            name = user.get_full_name() or user.get_username()
            self.agents[ident] = self.doc.agent(
                ident, _attrs(name, PROV["Person"], username=user.get_username())
            )
        return self.agents[ident]

    def software(self, name: str, version: str) -> ProvAgent:
        ident = _q(f"software/{name}/{version or 'unknown'}")
        if ident not in self.agents:
            self.agents[ident] = self.doc.agent(
                ident,
                _attrs(f"{name} {version}".strip(), PROV["SoftwareAgent"], version=version),
            )
        return self.agents[ident]

    def instrument(self, instrument: m.Instrument) -> ProvAgent:
        ident = record_id(instrument)
        if ident not in self.agents:
            self.agents[ident] = self.doc.agent(
                ident,
                _attrs(
                    instrument.label,
                    _q("Instrument"),
                    kind=instrument.kind,
                    vendor=instrument.vendor,
                    model=instrument.model,
                    serial_number=instrument.serial_number,
                    channels=instrument.channels,
                ),
            )
        return self.agents[ident]

    def attributed(self, entity: ProvEntity, user: Any) -> None:
        agent = self.user(user)
        if agent is not None:
            self.doc.wasAttributedTo(entity, agent)

    # entities ---------------------------------------------------------------------------
    def lot(self, lot: m.MaterialLot) -> None:
        material = lot.material
        e = self.doc.entity(
            record_id(lot),
            _attrs(
                lot.label,
                _q("MaterialLot"),
                material=material.name,
                material_category=material.category,
                formula=material.formula,
                supplier=lot.supplier,
                lot_number=lot.lot_number,
                received_date=lot.received_date,
                d10_nm=lot.d10_nm,
                d50_nm=lot.d50_nm,
                d90_nm=lot.d90_nm,
                purity_pct=lot.purity_pct,
                properties=lot.properties,
            ),
        )
        self.attributed(e, lot.created_by)

    def formulation(self, f: m.Formulation) -> None:
        components = list(f.components.select_related("lot"))
        attrs = _attrs(
            f.label,
            _q("Formulation"),
            name=f.name,
            version=f.version,
            solids_content_pct=f.solids_content_pct,
            target_thickness_um=f.target_thickness_um,
        )
        e = self.doc.entity(record_id(f), attrs)
        for c in components:
            e.add_attributes(
                {_q("component"): f"{c.lot.label} {c.mass_fraction_pct:g} wt% ({c.role})"}
            )
            self.doc.wasDerivedFrom(
                e,
                record_id(c.lot),
                other_attributes={
                    PROV_ROLE: c.role,
                    _q("mass_fraction_pct"): float(c.mass_fraction_pct),
                },
            )
        if f.solvent_lot_id:
            self.doc.wasDerivedFrom(
                e, record_id(f.solvent_lot), other_attributes={PROV_ROLE: "solvent"}
            )
        if f.previous_version_id:
            self.doc.wasRevisionOf(e, record_id(f.previous_version))
        self.attributed(e, f.created_by)

    def batch(self, b: m.ElectrodeBatch) -> None:
        f = b.formulation
        e = self.doc.entity(
            record_id(b),
            _attrs(
                b.label,
                _q("ElectrodeBatch"),
                measured_thickness_um=b.measured_thickness_um,
                areal_loading_mg_cm2=b.areal_loading_mg_cm2,
                made_on=b.made_on,
            ),
        )
        self.doc.wasDerivedFrom(e, record_id(f), other_attributes={PROV_ROLE: "formulation"})
        self.doc.wasDerivedFrom(
            e, record_id(b.current_collector_lot), other_attributes={PROV_ROLE: "current collector"}
        )
        steps = list(b.steps.all())
        operator = self.user(b.operator)
        activities: list[ProvActivity] = []
        if not steps:
            activities.append(
                self.doc.activity(
                    f"{record_id(b)}/make",
                    other_attributes=_attrs(f"making of {b.label}", made_on=b.made_on),
                )
            )
        for s in steps:
            activities.append(
                self.doc.activity(
                    f"{record_id(b)}/step/{s.order}",
                    other_attributes=_attrs(
                        f"{b.label} step {s.order}: {s.get_kind_display()}",
                        _q("ProcessStep"),
                        kind=s.kind,
                        order=s.order,
                        method=s.method,
                        gap_um=s.gap_um,
                        temperature_c=s.temperature_c,
                        duration_h=s.duration_h,
                        atmosphere=s.atmosphere,
                        pressure_mpa=s.pressure_mpa,
                        speed_rpm=s.speed_rpm,
                        notes=s.notes,
                    ),
                )
            )
        first, last = activities[0], activities[-1]
        self.doc.used(first, record_id(f), other_attributes={PROV_ROLE: "formulation"})
        for c in f.components.select_related("lot"):
            self.doc.used(first, record_id(c.lot), other_attributes={PROV_ROLE: c.role})
        if f.solvent_lot_id:
            self.doc.used(first, record_id(f.solvent_lot), other_attributes={PROV_ROLE: "solvent"})
        casting = next(
            (a for s, a in zip(steps, activities, strict=False) if s.kind == "casting"), last
        )
        self.doc.used(
            casting,
            record_id(b.current_collector_lot),
            other_attributes={PROV_ROLE: "current collector"},
        )
        for before, after in itertools.pairwise(activities):
            self.doc.wasInformedBy(after, before)
        for a in activities:
            if operator is not None:
                self.doc.wasAssociatedWith(a, operator, record_id(f))
        self.doc.wasGeneratedBy(e, last)
        self.attributed(e, b.created_by)

    def cell(self, c: m.Cell) -> None:
        e = self.doc.entity(
            record_id(c),
            _attrs(
                c.label,
                _q("Cell"),
                kind=c.kind,
                status=c.status,
                area_cm2=c.area_cm2,
                stack_pressure_mpa=c.stack_pressure_mpa,
                electrolyte_thickness_um=c.electrolyte_thickness_um,
                cathode_loading_mg_cm2=c.cathode_loading_mg_cm2,
                assembled_on=c.assembled_on,
            ),
        )
        build = self.doc.activity(
            f"{record_id(c)}/build",
            other_attributes=_attrs(
                f"assembly of {c.label}", _q("CellBuild"), assembled_on=c.assembled_on
            ),
        )
        inputs: list[tuple[Model | None, str]] = [
            (c.anode_batch, "anode-side electrode"),
            (c.lithium_lot, "lithium counter electrode"),
            (c.cathode_lot, "cathode active material"),
            (c.cathode_coating_lot, "cathode coating"),
            (c.electrolyte_lot, "solid electrolyte"),
        ]
        for obj, role in inputs:
            if obj is None:
                continue
            self.doc.used(build, record_id(obj), other_attributes={PROV_ROLE: role})
            self.doc.wasDerivedFrom(e, record_id(obj), build, other_attributes={PROV_ROLE: role})
        self.doc.wasGeneratedBy(e, build)
        operator = self.user(c.operator)
        if operator is not None:
            self.doc.wasAssociatedWith(build, operator)
        self.attributed(e, c.created_by)

    def protocol(self, p: m.TestProtocol) -> None:
        self.doc.entity(
            record_id(p),
            _attrs(
                p.label,
                PROV["Plan"],
                name=p.name,
                kind=p.kind,
                parameters=p.parameters,
                description=p.description,
            ),
        )

    def test_run(self, r: m.TestRun) -> None:
        a = self.doc.activity(
            record_id(r),
            r.started_at,
            None,
            _attrs(
                r.label,
                _q("TestRun"),
                protocol=r.protocol.label,
                protocol_kind=r.protocol.kind,
                channel=r.channel,
                status=r.status,
            ),
        )
        subject = r.cell if r.cell_id else r.electrode_batch
        if subject is not None:
            self.doc.used(a, record_id(subject), other_attributes={PROV_ROLE: "device under test"})
        if r.instrument_id:
            self.doc.wasAssociatedWith(a, self.instrument(r.instrument), record_id(r.protocol))
        operator = self.user(r.operator)
        if operator is not None:
            self.doc.wasAssociatedWith(a, operator, record_id(r.protocol))

    def data_file(self, f: m.DataFile) -> None:
        e = self.doc.entity(
            record_id(f),
            _attrs(
                f.original_name,
                _q("RawDataFile"),
                sha256=f.sha256,
                size_bytes=f.size_bytes,
                original_name=f.original_name,
                format=f.format,
                source=f.source,
                uploaded_at=f.uploaded_at,
            ),
        )
        self.doc.wasGeneratedBy(e, record_id(f.test_run))
        self.attributed(e, f.uploaded_by)

    def parsed_table(self, t: m.ParsedTable) -> None:
        e = self.doc.entity(
            record_id(t),
            _attrs(
                f"{t.format} table of {t.data_file.original_name}",
                _q("ParsedTable"),
                sha256=t.sha256,
                kind=t.kind,
                format=t.format,
                parser=t.parser,
                parser_version=t.parser_version,
                rows=t.rows,
                columns=t.columns,
                warnings=t.warnings,
            ),
        )
        parse = self.doc.activity(
            f"{record_id(t)}/parse",
            None,
            t.created_at,
            _attrs(f"parsing of {t.data_file.original_name}", _q("Parsing")),
        )
        self.doc.used(parse, record_id(t.data_file))
        self.doc.wasGeneratedBy(e, parse, t.created_at)
        self.doc.wasDerivedFrom(e, record_id(t.data_file), parse)
        self.doc.wasAssociatedWith(parse, self.software(t.parser, t.parser_version))

    def analysis(self, j: m.AnalysisJob) -> None:
        a = self.doc.activity(
            record_id(j),
            j.started_at,
            j.finished_at,
            _attrs(
                f"{j.kind} analysis of {j.data_file.original_name}",
                _q("AnalysisRun"),
                kind=j.kind,
                status=j.status,
                analysis_version=j.analysis_version,
                code_commit=j.code_commit,
                parameters=j.parameters,
                parameters_sha256=j.parameters_sha256,
                input_sha256=j.input_sha256,
                output_sha256=j.output_sha256,
                library_versions=j.library_versions,
                worker_host=j.claimed_by,
                attempts=j.attempts,
                error=j.error,
            ),
        )
        self.doc.used(a, record_id(j.data_file), other_attributes={PROV_ROLE: "raw data"})
        if j.parsed_table_id:
            self.doc.used(a, record_id(j.parsed_table), other_attributes={PROV_ROLE: "table"})
        self.doc.wasAssociatedWith(a, self.software("labdb-analysis", j.analysis_version))
        requester = self.user(j.requested_by)
        if requester is not None:
            self.doc.wasAssociatedWith(a, requester)

    def result(self, r: m.AnalysisResult) -> None:
        job = r.job
        metrics = (r.summary or {}).get("metrics", {})
        e = self.doc.entity(
            record_id(r),
            _attrs(
                f"{r.kind} result of {r.test_run.label}",
                _q("AnalysisResult"),
                kind=r.kind,
                cycle_count=r.cycle_count,
                initial_coulombic_efficiency=r.initial_coulombic_efficiency,
                average_coulombic_efficiency=r.average_coulombic_efficiency,
                cumulative_coulombic_efficiency=r.cumulative_coulombic_efficiency,
                capacity_retention=r.capacity_retention,
                short_circuit_cycle=r.short_circuit_cycle,
                cycle_life=r.cycle_life,
                total_time_h=r.total_time_h,
                metrics=metrics,
                output_sha256=job.output_sha256,
            ),
        )
        self.doc.wasGeneratedBy(e, record_id(job), r.created_at)
        source = job.parsed_table if job.parsed_table_id else job.data_file
        self.doc.wasDerivedFrom(e, record_id(source), record_id(job))

    def build(self) -> ProvDocument:
        rs = self.records
        for lot in rs.of(m.MaterialLot):
            self.lot(lot)
        for f in rs.of(m.Formulation):
            self.formulation(f)
        for b in rs.of(m.ElectrodeBatch):
            self.batch(b)
        for c in rs.of(m.Cell):
            self.cell(c)
        for p in rs.of(m.TestProtocol):
            self.protocol(p)
        for i in rs.of(m.Instrument):
            self.instrument(i)
        for r in rs.of(m.TestRun):
            self.test_run(r)
        for df in rs.of(m.DataFile):
            self.data_file(df)
        for t in rs.of(m.ParsedTable):
            self.parsed_table(t)
        for j in rs.of(m.AnalysisJob):
            self.analysis(j)
        for res in rs.of(m.AnalysisResult):
            self.result(res)
        return self.doc


def provenance_document(record: Model | m.Project) -> ProvDocument:
    """The PROV document of ``record`` (any catalog or data record, or a project): see the
    module docstring for what it contains."""
    return _Builder(collect(record)).build()


def serialize(doc: ProvDocument, fmt: str = "prov-json") -> str:
    """``doc`` as PROV-JSON, PROV-N or a plain-text outline for people."""
    if fmt == "prov-json":
        return str(doc.serialize(format="json", indent=2))
    if fmt == "prov-n":
        return str(doc.get_provn())
    if fmt == "text":
        return _text(doc)
    raise ValueError(f"unknown provenance format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _text(doc: ProvDocument) -> str:
    labels: dict[str, str] = {}
    lines: list[str] = []
    for rec in doc.get_records():
        if rec.is_element():
            label = next(iter(rec.get_attribute(PROV_LABEL)), "")
            labels[str(rec.identifier)] = str(label)
    for kind in ("entity", "activity", "agent"):
        elements = [
            r
            for r in doc.get_records()
            if r.is_element() and r.get_type().localpart.lower() == kind
        ]
        if not elements:
            continue
        lines.append(f"{kind.capitalize()} ({len(elements)})")
        for rec in sorted(elements, key=lambda r: str(r.identifier)):
            ident = str(rec.identifier)
            lines.append(f"  {labels.get(ident, '')}  [{ident}]")
            for name, value in sorted(
                (str(k), str(v)) for k, v in rec.attributes if k != PROV_LABEL
            ):
                lines.append(f"      {name} = {value}")
    relations = [r for r in doc.get_records() if r.is_relation()]
    lines.append(f"Relations ({len(relations)})")
    for rec in relations:
        args = [str(v) for _, v in rec.formal_attributes if v is not None][:3]
        named = [f"{labels.get(a, a)}" for a in args]
        extra = ", ".join(f"{k}={v}" for k, v in rec.extra_attributes if str(k) != "prov:label")
        lines.append(
            f"  {named[0]} --{rec.get_type().localpart}--> {' / '.join(named[1:])}"
            + (f"  ({extra})" if extra else "")
        )
    return "\n".join(lines) + "\n"
