"""PROV documents as text: PROV-JSON, PROV-N, or a plain-text outline for people."""

from __future__ import annotations

from prov.constants import PROV_LABEL
from prov.model import ProvDocument

FORMATS = ("prov-json", "prov-n", "text")


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
