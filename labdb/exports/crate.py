"""RO-Crate exports as ``.eln`` archives (the ELN Consortium's exchange format), built with the
``rocrate`` library.

:func:`write_crate` writes a zip whose single top folder holds ``ro-crate-metadata.json`` and:

Data entities (``File``, each with ``sha256``, ``contentSize`` in bytes and ``encodingFormat``)
    every raw instrument file of the covered test runs, copied from the blob store
    (``<run>/<original name>``); every parsed table (``<run>/parsed/<table id>.parquet``); one
    JSON file per analysis result (``<run>/results/<kind>-<job id>.json``, the stored summary
    with the job's identity and hashes); and the attachments of the covered lots and batches
    (certificates of analysis, XRD, SEM, ...).
Contextual entities
    lots (``Product`` with D10/D50/D90 and purity as ``PropertyValue``), formulations (with one
    ``PropertyValue`` per component: lot, role and mass fraction), electrode batches (with their
    process steps), cells, instruments, test protocols, test runs, people, and one
    ``SoftwareApplication`` "labdb-analysis" per analysis version and commit.
Actions (Process Run Crate profile, https://w3id.org/ro/wfrun/process/0.5)
    one ``CreateAction`` per analysis run: ``instrument`` = the labdb-analysis application,
    ``object`` = the raw file, the parsed table and the parameters (``PropertyValue``, plus the
    parameters' sha256), ``result`` = the result JSON file, with start and end times, worker host
    and ``actionStatus``.

EMMO / BattINFO terms (see :mod:`labdb.exports.vocab`) appear as ``additionalType``: BatteryCell
and BatteryHalfCell (cells), Electrode (batches), Binder, SolidElectrolyte, CurrentCollector,
ActiveMaterial, ConductiveAdditive, ElectrodeCoating, LithiumElectrode and Solvent (lots by
material category), BatteryCycler and Potentiostat (instruments), CyclingTest,
ElectrochemicalImpedanceSpectroscopy and CyclicVoltammetry (test runs by protocol kind); and as
``propertyID``: D10/D50/D90ParticleSize, MassFraction, Thickness, Area, MassLoading,
InitialCoulombicEfficiency, CoulombicEfficiency and CycleLife.

Identifiers of catalog records are the same stable URIs as in the PROV export
(:func:`labdb.exports.prov.record_id` under the labdb namespace).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path
from typing import Any

from django.db.models import Model
from django.utils import timezone
from rocrate.model.contextentity import ContextEntity
from rocrate.model.entity import Entity
from rocrate.rocrate import ROCrate

from labdb import models as m
from labdb.exports import vocab
from labdb.exports.prov import SEGMENT, namespace_uri
from labdb.exports.records import RecordSet, collect
from labdb.services.ingest import safe_name as _safe_name
from labdb.storage import blob_path

PROCESS_RUN_CRATE = "https://w3id.org/ro/wfrun/process/0.5"
SHA256_TERM = "https://w3id.org/ro/terms/workflow-run#sha256"

_FORMATS = {
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".json": "application/json",
    ".parquet": "application/vnd.apache.parquet",
    ".mpt": "text/plain",
    ".mpr": "application/octet-stream",
    ".res": "application/octet-stream",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".tif": "image/tiff",
}


def safe_name(name: str) -> str:
    """A single path segment: no directories, no leading dots."""
    return _safe_name(name).lstrip(".") or "unnamed"


def uri(obj: Model) -> str:
    return f"{namespace_uri()}{SEGMENT[type(obj)]}/{obj.pk}"


def _encoding(name: str, declared: str = "") -> str:
    if declared:
        return declared
    return _FORMATS.get(Path(name).suffix.lower(), "application/octet-stream")


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _clean(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if v not in (None, "", [], {})}


class _CrateBuilder:
    def __init__(self, crate: ROCrate, records: RecordSet) -> None:
        self.crate = crate
        self.records = records
        self.paths: set[str] = set()
        self.persons: dict[int, Entity] = {}

    def ref(self, obj: Model) -> dict[str, str]:
        return {"@id": uri(obj)}

    def add(self, ident: str, props: dict[str, Any]) -> Entity:
        return self.crate.add(ContextEntity(self.crate, ident, properties=_clean(props)))

    def prop(
        self, owner: str, key: str, name: str, value: Any, unit: str = "", pid: str = ""
    ) -> Entity:
        return self.add(
            f"{owner}#{key}",
            {
                "@type": "PropertyValue",
                "name": name,
                "value": value,
                "unitText": unit,
                "propertyID": pid,
            },
        )

    def person(self, user: Any) -> dict[str, str] | None:
        if user is None:
            return None
        if user.pk not in self.persons:
            self.persons[user.pk] = self.add(
                f"#user-{user.pk}",
                {"@type": "Person", "name": user.get_full_name() or user.get_username()},
            )
        return {"@id": f"#user-{user.pk}"}

    def unique_path(self, path: str) -> str:
        candidate, n = path, 1
        while candidate in self.paths:
            stem, suffix = Path(path).stem, Path(path).suffix
            candidate = str(Path(path).with_name(f"{stem}-{n}{suffix}"))
            n += 1
        self.paths.add(candidate)
        return candidate

    def blob_file(self, sha256: str, dest: str, props: dict[str, Any]) -> Entity:
        path = blob_path(sha256)
        return self.crate.add_file(
            source=str(path),
            dest_path=self.unique_path(dest),
            properties=_clean({"sha256": sha256, "contentSize": str(path.stat().st_size), **props}),
        )

    def bytes_file(self, data: bytes, dest: str, props: dict[str, Any]) -> Entity:
        return self.crate.add_file(
            source=BytesIO(data),
            dest_path=self.unique_path(dest),
            properties=_clean(
                {
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "contentSize": str(len(data)),
                    **props,
                }
            ),
        )

    # catalog ----------------------------------------------------------------------------
    def lot(self, lot: m.MaterialLot) -> None:
        ident = uri(lot)
        props = [
            self.prop(ident, "d10", "D10", lot.d10_nm, "nm", vocab.D10) if lot.d10_nm else None,
            self.prop(ident, "d50", "D50", lot.d50_nm, "nm", vocab.D50) if lot.d50_nm else None,
            self.prop(ident, "d90", "D90", lot.d90_nm, "nm", vocab.D90) if lot.d90_nm else None,
            self.prop(ident, "purity", "purity", lot.purity_pct, "%")
            if lot.purity_pct is not None
            else None,
        ]
        for key, value in sorted((lot.properties or {}).items()):
            props.append(
                self.prop(
                    ident,
                    key,
                    key,
                    value if not isinstance(value, (dict, list)) else json.dumps(value),
                )
            )
        material = lot.material
        self.add(
            ident,
            {
                "@type": "Product",
                "name": lot.label,
                "identifier": lot.lot_number,
                "description": f"{material.name} ({material.formula})".strip(),
                "category": material.get_category_display(),
                "additionalType": vocab.MATERIAL_CLASS.get(material.category),
                "manufacturer": lot.supplier,
                "purchaseDate": _iso(lot.received_date),
                "additionalProperty": [{"@id": p.id} for p in props if p is not None],
                "text": lot.notes,
            },
        )
        for att in lot.attachments.all():
            self.attachment(att, ident, lot.label)

    def attachment(self, att: m.Attachment, about: str, owner: str) -> None:
        self.blob_file(
            att.sha256,
            f"attachments/{safe_name(owner)}/{safe_name(att.original_name)}",
            {
                "name": att.original_name,
                "description": f"{att.get_kind_display()}: {att.description}".rstrip(": "),
                "encodingFormat": _encoding(att.original_name, att.content_type),
                "dateCreated": _iso(att.uploaded_at),
                "about": {"@id": about},
            },
        )

    def formulation(self, f: m.Formulation) -> None:
        ident = uri(f)
        parts = []
        for c in f.components.select_related("lot"):
            parts.append(
                self.add(
                    f"{ident}#component-{c.pk}",
                    {
                        "@type": "PropertyValue",
                        "name": f"{c.get_role_display()}: {c.lot.label}",
                        "value": c.mass_fraction_pct,
                        "unitText": "wt%",
                        "propertyID": vocab.MASS_FRACTION,
                        "valueReference": {"@id": uri(c.lot)},
                    },
                )
            )
        self.add(
            ident,
            {
                "@type": "CreativeWork",
                "name": f.label,
                "alternateName": f.name,
                "version": str(f.version),
                "isBasedOn": {"@id": uri(f.previous_version)} if f.previous_version_id else None,
                "hasPart": [{"@id": p.id} for p in parts],
                "mentions": {"@id": uri(f.solvent_lot)} if f.solvent_lot_id else None,
                "text": f.notes,
                "additionalProperty": [
                    {"@id": p.id}
                    for p in (
                        self.prop(ident, "solids", "solids content", f.solids_content_pct, "wt%")
                        if f.solids_content_pct
                        else None,
                        self.prop(
                            ident,
                            "thickness",
                            "target thickness",
                            f.target_thickness_um,
                            "um",
                            vocab.THICKNESS,
                        )
                        if f.target_thickness_um
                        else None,
                    )
                    if p is not None
                ],
            },
        )

    def batch(self, b: m.ElectrodeBatch) -> None:
        ident = uri(b)
        steps = []
        for s in b.steps.all():
            values = {
                "method": s.method,
                "gap_um": s.gap_um,
                "temperature_c": s.temperature_c,
                "duration_h": s.duration_h,
                "atmosphere": s.atmosphere,
                "pressure_mpa": s.pressure_mpa,
                "speed_rpm": s.speed_rpm,
            }
            steps.append(
                self.add(
                    f"{ident}#step-{s.order}",
                    {
                        "@type": "HowToStep",
                        "position": s.order,
                        "name": s.get_kind_display(),
                        "text": ", ".join(
                            f"{k}={v}" for k, v in values.items() if v not in (None, "")
                        ),
                        "description": s.notes,
                    },
                )
            )
        props = [
            self.prop(
                ident,
                "thickness",
                "measured thickness",
                b.measured_thickness_um,
                "um",
                vocab.THICKNESS,
            )
            if b.measured_thickness_um
            else None,
            self.prop(
                ident,
                "loading",
                "areal loading",
                b.areal_loading_mg_cm2,
                "mg/cm2",
                vocab.MASS_LOADING,
            )
            if b.areal_loading_mg_cm2
            else None,
        ]
        self.add(
            ident,
            {
                "@type": "Product",
                "name": b.label,
                "additionalType": vocab.ELECTRODE,
                "isBasedOn": {"@id": uri(b.formulation)},
                "hasPart": {"@id": uri(b.current_collector_lot)},
                "productionDate": _iso(b.made_on),
                "step": [{"@id": s.id} for s in steps],
                "additionalProperty": [{"@id": p.id} for p in props if p is not None],
                "creator": self.person(b.operator),
                "text": b.notes,
            },
        )
        for att in b.attachments.all():
            self.attachment(att, ident, b.label)

    def cell(self, c: m.Cell) -> None:
        ident = uri(c)
        parts = [
            obj
            for obj in (
                c.anode_batch,
                c.lithium_lot,
                c.cathode_lot,
                c.cathode_coating_lot,
                c.electrolyte_lot,
            )
            if obj is not None
        ]
        props = [
            self.prop(ident, "area", "area", c.area_cm2, "cm2", vocab.AREA),
            self.prop(ident, "stack-pressure", "stack pressure", c.stack_pressure_mpa, "MPa")
            if c.stack_pressure_mpa
            else None,
            self.prop(
                ident,
                "se-thickness",
                "solid-electrolyte layer thickness",
                c.electrolyte_thickness_um,
                "um",
                vocab.THICKNESS,
            )
            if c.electrolyte_thickness_um
            else None,
            self.prop(
                ident,
                "cathode-loading",
                "cathode loading",
                c.cathode_loading_mg_cm2,
                "mg/cm2",
                vocab.MASS_LOADING,
            )
            if c.cathode_loading_mg_cm2
            else None,
        ]
        self.add(
            ident,
            {
                "@type": "Product",
                "name": c.label,
                "description": c.get_kind_display(),
                "additionalType": vocab.BATTERY_HALF_CELL
                if c.kind == m.Cell.Kind.HALF
                else vocab.BATTERY_CELL,
                "hasPart": [self.ref(p) for p in parts],
                "productionDate": _iso(c.assembled_on),
                "creator": self.person(c.operator),
                "additionalProperty": [{"@id": p.id} for p in props if p is not None],
                "text": c.notes,
            },
        )

    def instrument(self, i: m.Instrument) -> None:
        self.add(
            uri(i),
            {
                "@type": "IndividualProduct",
                "name": i.label,
                "additionalType": vocab.INSTRUMENT_CLASS.get(i.kind),
                "manufacturer": i.vendor,
                "model": i.model,
                "serialNumber": i.serial_number,
                "category": i.get_kind_display(),
            },
        )

    def protocol(self, p: m.TestProtocol) -> None:
        self.add(
            uri(p),
            {
                "@type": "HowTo",
                "name": p.name,
                "alternateName": p.label,
                "additionalType": vocab.TEST_CLASS.get(p.kind),
                "description": p.description,
                "text": json.dumps(p.parameters, sort_keys=True),
            },
        )

    def test_run(self, r: m.TestRun, files: list[Entity]) -> None:
        subject = r.cell if r.cell_id else r.electrode_batch
        self.add(
            uri(r),
            {
                "@type": "Event",
                "name": r.label,
                "additionalType": vocab.TEST_CLASS.get(r.protocol.kind, vocab.BATTERY_TEST),
                "about": self.ref(subject) if subject is not None else None,
                "workFeatured": self.ref(r.protocol),
                "instrument": self.ref(r.instrument) if r.instrument_id else None,
                "startDate": _iso(r.started_at),
                "eventStatus": r.get_status_display(),
                "organizer": self.person(r.operator),
                "subjectOf": [{"@id": f.id} for f in files],
                "description": f"channel {r.channel}" if r.channel else None,
            },
        )

    # data -------------------------------------------------------------------------------
    def run_folder(self, run: m.TestRun) -> str:
        return safe_name(run.label)

    def data_file(self, f: m.DataFile) -> Entity:
        return self.blob_file(
            f.sha256,
            f"{self.run_folder(f.test_run)}/{safe_name(f.original_name)}",
            {
                "name": f.original_name,
                "encodingFormat": _encoding(f.original_name),
                "dateCreated": _iso(f.uploaded_at),
                "about": self.ref(f.test_run),
                "identifier": uri(f),
            },
        )

    def parsed_table(self, t: m.ParsedTable) -> Entity:
        return self.blob_file(
            t.sha256,
            f"{self.run_folder(t.data_file.test_run)}/parsed/{t.pk}.parquet",
            {
                "name": f"{t.format} table of {t.data_file.original_name}",
                "description": (
                    f"canonical table ({t.rows} rows; columns {', '.join(t.columns)}) "
                    f"parsed by {t.parser} {t.parser_version}"
                ),
                "encodingFormat": "application/vnd.apache.parquet",
                "dateCreated": _iso(t.created_at),
                "identifier": uri(t),
            },
        )

    def software(self, job: m.AnalysisJob) -> dict[str, str]:
        ident = f"#labdb-analysis-{job.analysis_version}" + (
            f"-{job.code_commit[:12]}" if job.code_commit else ""
        )
        self.add(
            ident,
            {
                "@type": "SoftwareApplication",
                "name": "labdb-analysis",
                "version": job.analysis_version,
                "softwareVersion": job.analysis_version
                + (f"+{job.code_commit}" if job.code_commit else ""),
                "description": "labdb analysis code (Python package `analysis`)",
            },
        )
        return {"@id": ident}

    def analysis(
        self, job: m.AnalysisJob, inputs: list[Entity], result_file: Entity | None
    ) -> None:
        ident = f"#analysis-{job.pk}"
        params = [
            self.add(
                f"{ident}-param-{name}",
                {
                    "@type": "PropertyValue",
                    "name": name,
                    "value": value if isinstance(value, (int, float, str)) else json.dumps(value),
                },
            )
            for name, value in sorted(job.parameters.items())
        ]
        params.append(
            self.add(
                f"{ident}-parameters-sha256",
                {
                    "@type": "PropertyValue",
                    "name": "parameters_sha256",
                    "value": job.parameters_sha256,
                    "description": "sha256 of the canonical JSON of the parameters",
                },
            )
        )
        status = {
            m.AnalysisJob.Status.SUCCEEDED: "http://schema.org/CompletedActionStatus",
            m.AnalysisJob.Status.FAILED: "http://schema.org/FailedActionStatus",
            m.AnalysisJob.Status.RUNNING: "http://schema.org/ActiveActionStatus",
        }.get(job.status, "http://schema.org/PotentialActionStatus")
        self.crate.add_action(
            self.software(job),
            identifier=ident,
            object=[{"@id": e.id} for e in inputs] + [{"@id": p.id} for p in params],
            result=[{"@id": result_file.id}] if result_file is not None else None,
            properties=_clean(
                {
                    "@type": "CreateAction",
                    "name": f"{job.kind} analysis of {job.data_file.original_name}",
                    "startTime": _iso(job.started_at),
                    "endTime": _iso(job.finished_at),
                    "actionStatus": {"@id": status},
                    "error": job.error,
                    "agent": self.person(job.requested_by),
                    "about": self.ref(job.data_file.test_run),
                    "description": (
                        f"worker host {job.claimed_by or 'unknown'}; analysis version "
                        f"{job.analysis_version}, commit {job.code_commit or 'unknown'}; "
                        f"libraries {json.dumps(job.library_versions, sort_keys=True)}"
                    ),
                    "identifier": uri(job),
                }
            ),
        )

    def result_file(self, r: m.AnalysisResult) -> Entity:
        job = r.job
        payload = {
            "job": str(job.pk),
            "kind": r.kind,
            "test_run": r.test_run.label,
            "analysis_version": job.analysis_version,
            "code_commit": job.code_commit,
            "parameters": job.parameters,
            "parameters_sha256": job.parameters_sha256,
            "input_sha256": job.input_sha256,
            "output_sha256": job.output_sha256,
            "summary": r.summary,
        }
        data = (json.dumps(payload, indent=2, sort_keys=True) + "\n").encode()
        ident = uri(r)
        metrics = [
            self.prop(
                ident,
                "ice",
                "initial coulombic efficiency",
                r.initial_coulombic_efficiency,
                "1",
                vocab.INITIAL_COULOMBIC_EFFICIENCY,
            )
            if r.initial_coulombic_efficiency is not None
            else None,
            self.prop(
                ident,
                "ace",
                "average coulombic efficiency",
                r.average_coulombic_efficiency,
                "1",
                vocab.COULOMBIC_EFFICIENCY,
            )
            if r.average_coulombic_efficiency is not None
            else None,
            self.prop(
                ident,
                "cce",
                "cumulative coulombic efficiency",
                r.cumulative_coulombic_efficiency,
                "1",
                vocab.COULOMBIC_EFFICIENCY,
            )
            if r.cumulative_coulombic_efficiency is not None
            else None,
            self.prop(ident, "cycle-life", "cycle life", r.cycle_life, "cycles", vocab.CYCLE_LIFE)
            if r.cycle_life is not None
            else None,
            self.prop(ident, "cycles", "cycle count", r.cycle_count, "cycles")
            if r.cycle_count is not None
            else None,
        ]
        return self.bytes_file(
            data,
            f"{self.run_folder(r.test_run)}/results/{r.kind}-{job.pk}.json",
            {
                "name": f"{r.kind} result of {r.test_run.label}",
                "encodingFormat": "application/json",
                "dateCreated": _iso(r.created_at),
                "identifier": ident,
                "about": self.ref(r.test_run),
                "variableMeasured": [{"@id": p.id} for p in metrics if p is not None],
            },
        )

    def build(self) -> None:
        rs = self.records
        for lot in rs.of(m.MaterialLot):
            self.lot(lot)
        for f in rs.of(m.Formulation):
            self.formulation(f)
        for b in rs.of(m.ElectrodeBatch):
            self.batch(b)
        for c in rs.of(m.Cell):
            self.cell(c)
        for i in rs.of(m.Instrument):
            self.instrument(i)
        for p in rs.of(m.TestProtocol):
            self.protocol(p)
        raw: dict[Any, Entity] = {df.pk: self.data_file(df) for df in rs.of(m.DataFile)}
        tables = {t.pk: self.parsed_table(t) for t in rs.of(m.ParsedTable)}
        results = {r.pk: self.result_file(r) for r in rs.of(m.AnalysisResult)}
        for r in rs.of(m.TestRun):
            self.test_run(r, [raw[f.pk] for f in rs.of(m.DataFile) if f.test_run_id == r.pk])
        for job in rs.of(m.AnalysisJob):
            inputs = [raw[job.data_file_id]] if job.data_file_id in raw else []
            if job.parsed_table_id in tables:
                inputs.append(tables[job.parsed_table_id])
            self.analysis(job, inputs, results.get(job.pk))


def build_crate(target: Model | m.Project | Iterable[Model]) -> ROCrate:
    """The RO-Crate (in memory) of a project, a record (a cell covers its upstream, test runs and
    results) or several records; see the module docstring for its content."""
    if isinstance(target, (Model, m.Project)):
        targets: list[Any] = [target]
    else:
        targets = list(target)
    if not targets:
        raise ValueError("nothing to export")
    records = collect(targets[0])
    for extra in targets[1:]:
        records.records.update(collect(extra).records)

    crate = ROCrate()
    crate.metadata.extra_terms["sha256"] = SHA256_TERM
    first = targets[0]
    if isinstance(first, m.Project):
        name, description = first.name, first.description or f"labdb project {first.label}"
        about = {"@id": uri(first)}
        crate.add(
            ContextEntity(
                crate,
                uri(first),
                properties=_clean(
                    {"@type": "Project", "name": first.name, "identifier": first.label}
                ),
            )
        )
    else:
        labels = ", ".join(str(t) for t in targets)
        name = f"labdb export: {labels}"
        description = f"{labels} with its materials, processing, test runs, raw data and analyses"
        about = [{"@id": uri(t)} for t in targets if type(t) in SEGMENT]
    crate.add(
        ContextEntity(
            crate,
            PROCESS_RUN_CRATE,
            properties={"@type": "CreativeWork", "name": "Process Run Crate", "version": "0.5"},
        )
    )
    root = crate.root_dataset
    root["name"] = name
    root["description"] = description
    root["datePublished"] = timezone.now().isoformat()
    root["conformsTo"] = {"@id": PROCESS_RUN_CRATE}
    root["about"] = about
    _CrateBuilder(crate, records).build()
    return crate


def write_crate(
    records_or_project: Model | m.Project | Iterable[Model], out_path: Path | str
) -> Path:
    """Write the ``.eln`` archive of a project, a record or several records to ``out_path``.

    The zip holds one top folder (named after ``out_path``'s stem) with
    ``ro-crate-metadata.json`` and the files; see the module docstring for the content.
    """
    out = Path(out_path)
    crate = build_crate(records_or_project)
    top = safe_name(out.stem) or "labdb-export"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / top
        crate.write(folder)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    zf.write(path, f"{top}/{path.relative_to(folder).as_posix()}")
        shutil.move(partial, out)
    return out
