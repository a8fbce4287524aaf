"""Contextual entities of the catalog records: material lots (with their attachments),
formulations, electrode batches (with their process steps), cells, instruments, test protocols
and test runs, typed with EMMO / BattINFO classes (:mod:`labdb.exports.vocab`). Quantities are
given in their field's canonical unit (:mod:`labdb.models.quantities`)."""

from __future__ import annotations

import json

from rocrate.model.entity import Entity

from labdb import models as m
from labdb.exports import vocab
from labdb.exports.crate.entities import _EntityBuilder
from labdb.exports.crate.terms import _cell_class, _encoding, _iso, safe_name, uri
from labdb.models.quantities import quantity_unit as unit


class _CatalogEntities(_EntityBuilder):
    def catalog(self) -> None:
        """Add every catalog record of the record set, upstream first."""
        entity_of = (
            (m.MaterialLot, self.lot),
            (m.Formulation, self.formulation),
            (m.ElectrodeBatch, self.batch),
            (m.Cell, self.cell),
            (m.Instrument, self.instrument),
            (m.TestProtocol, self.protocol),
        )
        for model, add in entity_of:
            for record in self.records.of(model):
                add(record)

    def lot(self, lot: m.MaterialLot) -> None:
        ident = uri(lot)
        props = [
            self.measured(ident, "d10", "D10", lot.d10_nm, unit(lot, "d10_nm"), vocab.D10),
            self.measured(ident, "d50", "D50", lot.d50_nm, unit(lot, "d50_nm"), vocab.D50),
            self.measured(ident, "d90", "D90", lot.d90_nm, unit(lot, "d90_nm"), vocab.D90),
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
                        self.measured(
                            ident, "solids", "solids content", f.solids_content_pct, "wt%"
                        ),
                        self.measured(
                            ident,
                            "thickness",
                            "target thickness",
                            f.target_thickness_um,
                            unit(f, "target_thickness_um"),
                            vocab.THICKNESS,
                        ),
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
            self.measured(
                ident,
                "thickness",
                "measured thickness",
                b.measured_thickness_um,
                unit(b, "measured_thickness_um"),
                vocab.THICKNESS,
            ),
            self.measured(
                ident,
                "loading",
                "areal loading",
                b.areal_loading_mg_cm2,
                unit(b, "areal_loading_mg_cm2"),
                vocab.MASS_LOADING,
            ),
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
            self.prop(ident, "area", "area", c.area_cm2, unit(c, "area_cm2"), vocab.AREA),
            self.measured(
                ident,
                "stack-pressure",
                "stack pressure",
                c.stack_pressure_mpa,
                unit(c, "stack_pressure_mpa"),
            ),
            self.measured(
                ident,
                "se-thickness",
                "solid-electrolyte layer thickness",
                c.electrolyte_thickness_um,
                unit(c, "electrolyte_thickness_um"),
                vocab.THICKNESS,
            ),
            self.measured(
                ident,
                "cathode-loading",
                "cathode loading",
                c.cathode_loading_mg_cm2,
                unit(c, "cathode_loading_mg_cm2"),
                vocab.MASS_LOADING,
            ),
        ]
        self.add(
            ident,
            {
                "@type": "Product",
                "name": c.label,
                "description": c.get_kind_display(),
                "additionalType": _cell_class(c),
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
