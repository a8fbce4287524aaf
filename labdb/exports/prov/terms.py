"""Names and values in the PROV documents: the labdb namespace, each record's stable
identifier (``labdb:<segment>/<uuid>``) and the attributes of a node (a ``prov:label``, an optional
``prov:type`` and ``labdb:`` values the ``prov`` library round-trips)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Model
from prov.constants import PROV_LABEL, PROV_TYPE

from labdb import models as m
from labdb.provenance import canonical_json

DEFAULT_NAMESPACE = "https://labdb.example.org/id/"
PREFIX = "labdb"


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
