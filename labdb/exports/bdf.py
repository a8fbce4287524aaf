"""Battery Data Format (BDF) export of a test run's canonical table.

:func:`export_bdf` writes three files into a folder:

``<run>.bdf.csv`` and ``<run>.bdf.parquet``
    the run's latest parsed cycling table (the Parquet blob of its newest ``ParsedTable``) with
    the BDF machine-readable column names in SI units (``test_time_second``, ``voltage_volt``,
    ``current_ampere``, ``charging_capacity_ah``, ...; see ``analysis.readers.canonical``), one
    row per record, no index.
``<run>.metadata.jsonld``
    a JSON-LD (schema.org) sidecar naming the test run (protocol, instrument, start), the cell
    (kind and area, with its EMMO class), every material lot upstream of it (supplier, lot
    number, D50 and purity as ``PropertyValue`` with the EMMO D50ParticleSize IRI), the source
    raw file (name and sha256), the parsed table (sha256, parser and version) and both exported
    files with their sha256, size and columns with units.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.readers.canonical import UNITS
from labdb import models as m
from labdb.exports import vocab
from labdb.exports.crate import safe_name, uri
from labdb.exports.prov import namespace_uri
from labdb.exports.records import collect
from labdb.exports.spreadsheet import neutralise
from labdb.models.quantities import quantity_unit
from labdb.storage import hash_file
from labdb.table_parts import is_manifest, read_table

BDF_SPEC = "https://github.com/battery-data-alliance/battery-data-format"


class NoTableError(LookupError):
    """The test run has no parsed cycling table to export."""


@dataclass(frozen=True)
class BdfExport:
    csv_path: Path
    parquet_path: Path
    sidecar_path: Path
    table: m.ParsedTable
    rows: int
    columns: list[str]


def latest_table(test_run: m.TestRun) -> m.ParsedTable:
    """The newest parsed cycling table of ``test_run``'s files."""
    table = (
        m.ParsedTable.objects.filter(data_file__test_run=test_run, kind="cycling")
        .select_related("data_file")
        .order_by("-created_at")
        .first()
    )
    if table is None:
        kinds = sorted(
            set(
                m.ParsedTable.objects.filter(data_file__test_run=test_run).values_list(
                    "kind", flat=True
                )
            )
        )
        found = f"only {', '.join(kinds)} tables" if kinds else "no parsed table"
        raise NoTableError(
            f"test run {test_run.label} has {found}; the Battery Data Format export needs a "
            "parsed cycling table (register a cycling file and let its analysis run)"
        )
    return table


def _file_entry(path: Path, fmt: str) -> dict[str, Any]:
    return {
        "@type": "DataDownload",
        "contentUrl": path.name,
        "encodingFormat": fmt,
        "sha256": hash_file(path),
        "contentSize": str(path.stat().st_size),
    }


def _lot(lot: m.MaterialLot) -> dict[str, Any]:
    props = []
    for key, name, pid in (
        ("d10_nm", "D10", vocab.D10),
        ("d50_nm", "D50", vocab.D50),
        ("d90_nm", "D90", vocab.D90),
    ):
        value = getattr(lot, key)
        if value is not None:
            props.append(
                {
                    "@type": "PropertyValue",
                    "name": name,
                    "propertyID": pid,
                    "value": value,
                    "unitText": quantity_unit(lot, key),
                }
            )
    if lot.purity_pct is not None:
        props.append(
            {"@type": "PropertyValue", "name": "purity", "value": lot.purity_pct, "unitText": "%"}
        )
    entry: dict[str, Any] = {
        "@id": uri(lot),
        "@type": "Product",
        "name": lot.label,
        "description": f"{lot.material.name} ({lot.material.get_category_display()})",
        "manufacturer": lot.supplier,
        "identifier": lot.lot_number,
        "additionalProperty": props,
    }
    if lot.material.category in vocab.MATERIAL_CLASS:
        entry["additionalType"] = vocab.MATERIAL_CLASS[lot.material.category]
    return entry


def sidecar(
    test_run: m.TestRun, table: m.ParsedTable, files: list[tuple[Path, str]]
) -> dict[str, Any]:
    """The JSON-LD description of an exported table (see the module docstring)."""
    records = collect(test_run, downstream=False)
    cell = test_run.cell
    subject: dict[str, Any]
    if cell is not None:
        subject = {
            "@id": uri(cell),
            "@type": "Product",
            "name": cell.label,
            "description": cell.get_kind_display(),
            "additionalType": vocab.BATTERY_HALF_CELL
            if cell.kind == m.Cell.Kind.HALF
            else vocab.BATTERY_CELL,
            "additionalProperty": [
                {
                    "@type": "PropertyValue",
                    "name": "area",
                    "propertyID": vocab.AREA,
                    "value": cell.area_cm2,
                    "unitText": quantity_unit(cell, "area_cm2"),
                }
            ],
            "hasPart": {"@id": uri(cell.anode_batch), "name": cell.anode_batch.label},
        }
    else:
        batch = test_run.electrode_batch
        subject = {"@id": uri(batch), "@type": "Product", "name": str(batch)}
    source = table.data_file
    columns = list(table.columns)
    return {
        "@context": {
            "@vocab": "https://schema.org/",
            "sha256": "https://w3id.org/ro/terms/workflow-run#sha256",
            "labdb": namespace_uri(),
        },
        "@id": uri(table),
        "@type": "Dataset",
        "name": f"{test_run.label}: Battery Data Format table",
        "conformsTo": {"@id": BDF_SPEC},
        "about": subject,
        "isPartOf": {
            "@id": uri(test_run),
            "@type": "Event",
            "name": test_run.label,
            "additionalType": vocab.TEST_CLASS.get(test_run.protocol.kind, vocab.BATTERY_TEST),
            "startDate": test_run.started_at.isoformat() if test_run.started_at else None,
            "workFeatured": {
                "@id": uri(test_run.protocol),
                "name": test_run.protocol.name,
                "text": json.dumps(test_run.protocol.parameters, sort_keys=True),
            },
            "instrument": {"@id": uri(test_run.instrument), "name": test_run.instrument.label}
            if test_run.instrument_id
            else None,
        },
        "mentions": [_lot(lot) for lot in records.of(m.MaterialLot)],
        "isBasedOn": [
            {
                "@id": uri(source),
                "@type": "MediaObject",
                "name": source.original_name,
                "description": "raw instrument file",
                "sha256": source.sha256,
                "contentSize": str(source.size_bytes),
            },
            {
                "@id": f"{uri(table)}#parquet",
                "@type": "MediaObject",
                "description": f"canonical table parsed by {table.parser} {table.parser_version}"
                + (
                    " (stored in parts: the sha256 is its manifest's, labdb.table-parts/1)"
                    if is_manifest(table.sha256)
                    else ""
                ),
                "encodingFormat": "application/vnd.apache.parquet",
                "sha256": table.sha256,
            },
        ],
        "variableMeasured": [
            {"@type": "PropertyValue", "name": c, "unitText": UNITS.get(c, "")} for c in columns
        ],
        "size": f"{table.rows} rows",
        "distribution": [_file_entry(path, fmt) for path, fmt in files],
    }


def export_bdf(
    test_run: m.TestRun, out_dir: Path | str, *, table: m.ParsedTable | None = None
) -> BdfExport:
    """Write the run's canonical table as BDF CSV and Parquet with a JSON-LD sidecar.

    Uses the newest parsed cycling table unless ``table`` is given; raises
    :class:`NoTableError` when there is none.
    """
    table = table or latest_table(test_run)
    frame = read_table(table.sha256, verify=True)  # BlobCorrupt when damaged
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = safe_name(test_run.label)
    csv_path = out / f"{stem}.bdf.csv"
    parquet_path = out / f"{stem}.bdf.parquet"
    sidecar_path = out / f"{stem}.metadata.jsonld"
    text = frame.select_dtypes(include=["object", "string"]).columns
    frame.assign(**{c: frame[c].map(neutralise) for c in text}).to_csv(csv_path, index=False)
    frame.to_parquet(parquet_path, index=False)
    doc = sidecar(
        test_run,
        table,
        [(csv_path, "text/csv"), (parquet_path, "application/vnd.apache.parquet")],
    )
    sidecar_path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return BdfExport(
        csv_path=csv_path,
        parquet_path=parquet_path,
        sidecar_path=sidecar_path,
        table=table,
        rows=len(frame),
        columns=[str(c) for c in frame.columns],
    )
