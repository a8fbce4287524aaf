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
    fraction; a result from its parsed table, and a dQ/dV result also from the cycling result
    whose stored curves its run read, which that run ``used`` with the role ``cycling curves``), wasRevisionOf, wasInformedBy (consecutive process steps), wasAssociatedWith
    (operators, instruments with the protocol as plan, software) and wasAttributedTo (who
    registered a file or created a record).

Identifiers are stable: the namespace is ``settings.LABDB_PROV_NAMESPACE`` when set, else
:data:`DEFAULT_NAMESPACE`, and each record keeps its UUID. Every node has a ``prov:label``.

The document is built by concept: :mod:`~labdb.exports.prov.terms` (namespace, identifiers,
attribute values), :mod:`~labdb.exports.prov.agents` (people, software, instruments),
:mod:`~labdb.exports.prov.catalog` (lots to cells), :mod:`~labdb.exports.prov.data` (test runs
to analysis results) and :mod:`~labdb.exports.prov.document`; :mod:`~labdb.exports.prov.formats`
serialises it. Their public names are re-exported here.
"""

from labdb.exports.prov.document import provenance_document
from labdb.exports.prov.formats import FORMATS, serialize
from labdb.exports.prov.terms import DEFAULT_NAMESPACE, PREFIX, SEGMENT, namespace_uri, record_id

__all__ = [
    "DEFAULT_NAMESPACE",
    "FORMATS",
    "PREFIX",
    "SEGMENT",
    "namespace_uri",
    "provenance_document",
    "record_id",
    "serialize",
]
