"""How the catalog records enter the PROV document: lots, formulations (derived from their lots),
electrode batches (one activity per process step), cells (their build) and test protocols
(plans)."""

from __future__ import annotations

import itertools

from django.db.models import Model
from prov.constants import PROV_ROLE
from prov.model import PROV, ProvActivity

from labdb import models as m
from labdb.exports.prov.agents import _AgentBuilder
from labdb.exports.prov.terms import _attrs, _q, record_id


class _CatalogRecords(_AgentBuilder):
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
