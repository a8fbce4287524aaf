"""The base of the PROV builder: the document with the labdb namespace, and its agents (people,
software, instruments), each added once."""

from __future__ import annotations

from typing import Any

from prov.model import PROV, ProvAgent, ProvDocument, ProvEntity

from labdb import models as m
from labdb.exports.prov.terms import PREFIX, _attrs, _q, namespace_uri, record_id
from labdb.exports.records import RecordSet


class _AgentBuilder:
    def __init__(self, records: RecordSet) -> None:
        self.records = records
        self.doc = ProvDocument()
        self.doc.add_namespace(PREFIX, namespace_uri())
        self.agents: dict[str, ProvAgent] = {}

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
