"""The PROV document of a record: every record of its upstream and downstream
(:func:`labdb.exports.records.collect`), catalog records first, then the data records."""

from __future__ import annotations

from django.db.models import Model
from prov.model import ProvDocument

from labdb import models as m
from labdb.exports.prov.catalog import _CatalogRecords
from labdb.exports.prov.data import _DataRecords
from labdb.exports.records import collect


class _Builder(_CatalogRecords, _DataRecords):
    def build(self) -> ProvDocument:
        rs = self.records
        for lot in rs.of(m.MaterialLot):
            self.lot(lot)
        for f in rs.of(m.Formulation):
            self.formulation(f)
        for b in rs.of(m.ElectrodeBatch):
            self.batch(b)
        for c in rs.of(m.Cell):
            self.cell(c)
        for p in rs.of(m.TestProtocol):
            self.protocol(p)
        for i in rs.of(m.Instrument):
            self.instrument(i)
        for r in rs.of(m.TestRun):
            self.test_run(r)
        for df in rs.of(m.DataFile):
            self.data_file(df)
        for t in rs.of(m.ParsedTable):
            self.parsed_table(t)
        for j in rs.of(m.AnalysisJob):
            self.analysis(j)
        for res in rs.of(m.AnalysisResult):
            self.result(res)
        return self.doc


def provenance_document(record: Model | m.Project) -> ProvDocument:
    """The PROV document of ``record`` (any catalog or data record, or a project): see
    :mod:`labdb.exports.prov` for what it contains."""
    return _Builder(collect(record)).build()
