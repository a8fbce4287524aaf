"""Exports of the database as standard documents: W3C PROV (:mod:`labdb.exports.prov`),
RO-Crate ``.eln`` archives (:mod:`labdb.exports.crate`) and Battery Data Format tables with a
JSON-LD sidecar (:mod:`labdb.exports.bdf`).

Every export is a read-only function of the database and the blob store: it never writes a row.
Access control is the caller's job (the API checks that the user may see the root record).
"""
