"""DataCite metadata (JSON, schema 4.5, the attribute names of DataCite's REST API) for a data
package, written from the records, ready to paste into a repository deposit.

Mandatory properties (DataCite Metadata Schema 4.5, section 2.2, "Mandatory properties":
Identifier, Creator, Title, Publisher, PublicationYear, ResourceType): all are filled except
the Identifier (the DOI), which the repository mints at deposit. In the JSON form these are
:data:`REQUIRED` (the ``required`` list of the DataCite 4.5 JSON schema shipped by the
``datacite`` package, against which the tests validate the document).

Where the values come from
    creators: the people recorded as operators of the cells, their electrode batches and test
    runs, and who saved the comparison (full name when the account has one, else the user
    name); titles: the comparison's name and the project's; publisher: the project unless
    ``publisher`` is given (the lab or the repository); subjects: the materials of the cells'
    lots and the kinds of test, plus the cell classes with their EMMO/BattINFO IRIs; dates: the
    package's creation and the span of the test runs (Collected); descriptions: the report's
    methods paragraphs; rights: ``license`` (SPDX id, default CC-BY-4.0); related identifiers:
    the RO-Crate metadata of the package (HasMetadata) and, when given, the article the data
    supplement (IsSupplementTo).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from labdb import models as m
from labdb.exports import vocab
from labdb.reports.study import StudyReport

SCHEMA_VERSION = "http://datacite.org/schema/kernel-4"
#: the required properties of the DataCite 4.5 JSON schema
REQUIRED = ("creators", "titles", "publisher", "publicationYear", "types", "schemaVersion")
LICENSES = {
    "CC-BY-4.0": (
        "Creative Commons Attribution 4.0 International",
        "https://creativecommons.org/licenses/by/4.0/legalcode",
    ),
    "CC0-1.0": (
        "Creative Commons Zero v1.0 Universal",
        "https://creativecommons.org/publicdomain/zero/1.0/legalcode",
    ),
    "CC-BY-SA-4.0": (
        "Creative Commons Attribution Share Alike 4.0 International",
        "https://creativecommons.org/licenses/by-sa/4.0/legalcode",
    ),
}
RO_CRATE_SPEC = "https://w3id.org/ro/crate/1.1"


def _person(user: Any) -> dict[str, Any]:
    given, family = (user.first_name or "").strip(), (user.last_name or "").strip()
    if family:
        entry: dict[str, Any] = {
            "name": f"{family}, {given}" if given else family,
            "nameType": "Personal",
            "familyName": family,
        }
        if given:
            entry["givenName"] = given
        return entry
    return {"name": user.get_username(), "nameType": "Personal"}


def _creators(report: StudyReport) -> list[dict[str, Any]]:
    people: dict[Any, Any] = {}
    for e in report.cells:
        for user in (e.cell.operator, e.cell.anode_batch.operator):
            if user is not None:
                people.setdefault(user.pk, user)
    for r in report.runs:
        if r.operator is not None:
            people.setdefault(r.operator.pk, r.operator)
    saved = report.selection.saved
    if saved is not None and saved.created_by is not None:
        people.setdefault(saved.created_by.pk, saved.created_by)
    if not people and report.selection.user.is_authenticated:
        people[report.selection.user.pk] = report.selection.user
    return [_person(u) for u in sorted(people.values(), key=lambda u: u.get_username())]


def _subjects(report: StudyReport) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(entry: dict[str, Any]) -> None:
        if entry["subject"] not in seen:
            seen.add(entry["subject"])
            out.append(entry)

    for kind in sorted({e.cell.kind for e in report.cells}):
        iri = vocab.BATTERY_HALF_CELL if kind == m.Cell.Kind.HALF else vocab.BATTERY_CELL
        add({"subject": iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1], "valueUri": iri,
             "subjectScheme": "EMMO BattINFO", "schemeUri": "https://w3id.org/emmo/domain/battery"})  # fmt: skip
    for e in report.cells:
        for _, lot in e.lots:
            add({"subject": lot.material.name})
    for protocol, _ in report.protocols:
        add({"subject": str(protocol.get_kind_display())})
    return out


def _collected(report: StudyReport) -> str:
    starts = sorted(r.started_at for r in report.runs if r.started_at is not None)
    if not starts:
        return ""
    first, last = starts[0].date().isoformat(), starts[-1].date().isoformat()
    return first if first == last else f"{first}/{last}"


def datacite_metadata(
    report: StudyReport,
    *,
    publisher: str = "",
    license: str = "CC-BY-4.0",
    related_doi: str = "",
    sizes: list[str] | None = None,
    formats: list[str] | None = None,
) -> dict[str, Any]:
    """The DataCite JSON of a package built from ``report`` (see the module docstring)."""
    if license not in LICENSES:
        raise ValueError(f"license {license!r}: use one of {', '.join(LICENSES)}")
    project = report.cells[0].cell.project if report.cells else None
    now = timezone.now()
    rights_name, rights_uri = LICENSES[license]
    titles = [{"title": f"{report.title}: battery cell data, analyses and figures"}]
    if project is not None:
        titles.append({"title": project.name, "titleType": "Subtitle"})
    dates = [{"date": now.date().isoformat(), "dateType": "Created"}]
    if collected := _collected(report):
        dates.append({"date": collected, "dateType": "Collected"})
    related = [
        {
            "relatedIdentifier": RO_CRATE_SPEC,
            "relatedIdentifierType": "URL",
            "relationType": "HasMetadata",
            "relatedMetadataScheme": "RO-Crate",
            "schemeUri": RO_CRATE_SPEC,
        }
    ]
    if related_doi:
        related.append(
            {
                "relatedIdentifier": related_doi,
                "relatedIdentifierType": "DOI",
                "relationType": "IsSupplementTo",
            }
        )
    doc: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "types": {
            "resourceTypeGeneral": "Dataset",
            "resourceType": "Battery cell test data with analyses",
        },
        "creators": _creators(report),
        "titles": titles,
        "publisher": {"name": publisher or (project.name if project else "labdb")},
        "publicationYear": str(now.year),
        "subjects": _subjects(report),
        "dates": dates,
        "language": "en",
        "version": "1",
        "rightsList": [
            {
                "rights": rights_name,
                "rightsUri": rights_uri,
                "rightsIdentifier": license.lower(),
                "rightsIdentifierScheme": "SPDX",
                "schemeUri": "https://spdx.org/licenses/",
            }
        ],
        "descriptions": [{"description": p, "descriptionType": "Methods"} for p in report.methods],
        "relatedIdentifiers": related,
    }
    if sizes:
        doc["sizes"] = sizes
    if formats:
        doc["formats"] = formats
    missing = [k for k in REQUIRED if not doc.get(k)]
    if missing:  # e.g. no creators: nobody recorded as operator and no user
        raise ValueError(f"DataCite metadata lacks {', '.join(missing)}")
    return doc
