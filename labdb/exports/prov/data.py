"""How the data records enter the PROV document: test runs, raw data files, parsed tables (and
their parsing), analysis runs and their results."""

from __future__ import annotations

from prov.constants import PROV_ROLE

from labdb import models as m
from labdb.exports.prov.agents import _AgentBuilder
from labdb.exports.prov.terms import _attrs, _q, record_id
from labdb.services.follow_on import cycling_result_used


class _DataRecords(_AgentBuilder):
    def reused(self, j: m.AnalysisJob) -> m.AnalysisResult | None:
        """The cycling result whose stored curves the dQ/dV run ``j`` read (looked up once)."""
        cache: dict[object, m.AnalysisResult | None] = self.__dict__.setdefault("_reused", {})
        if j.pk not in cache:
            cache[j.pk] = cycling_result_used(j)
        return cache[j.pk]

    def test_run(self, r: m.TestRun) -> None:
        a = self.doc.activity(
            record_id(r),
            r.started_at,
            None,
            _attrs(
                r.label,
                _q("TestRun"),
                protocol=r.protocol.label,
                protocol_kind=r.protocol.kind,
                channel=r.channel,
                status=r.status,
            ),
        )
        subject = r.cell if r.cell_id else r.electrode_batch
        if subject is not None:
            self.doc.used(a, record_id(subject), other_attributes={PROV_ROLE: "device under test"})
        if r.instrument_id:
            self.doc.wasAssociatedWith(a, self.instrument(r.instrument), record_id(r.protocol))
        operator = self.user(r.operator)
        if operator is not None:
            self.doc.wasAssociatedWith(a, operator, record_id(r.protocol))

    def data_file(self, f: m.DataFile) -> None:
        e = self.doc.entity(
            record_id(f),
            _attrs(
                f.original_name,
                _q("RawDataFile"),
                sha256=f.sha256,
                size_bytes=f.size_bytes,
                original_name=f.original_name,
                format=f.format,
                source=f.source,
                uploaded_at=f.uploaded_at,
            ),
        )
        self.doc.wasGeneratedBy(e, record_id(f.test_run))
        self.attributed(e, f.uploaded_by)

    def parsed_table(self, t: m.ParsedTable) -> None:
        e = self.doc.entity(
            record_id(t),
            _attrs(
                f"{t.format} table of {t.data_file.original_name}",
                _q("ParsedTable"),
                sha256=t.sha256,
                kind=t.kind,
                format=t.format,
                parser=t.parser,
                parser_version=t.parser_version,
                rows=t.rows,
                columns=t.columns,
                warnings=t.warnings,
            ),
        )
        parse = self.doc.activity(
            f"{record_id(t)}/parse",
            None,
            t.created_at,
            _attrs(f"parsing of {t.data_file.original_name}", _q("Parsing")),
        )
        self.doc.used(parse, record_id(t.data_file))
        self.doc.wasGeneratedBy(e, parse, t.created_at)
        self.doc.wasDerivedFrom(e, record_id(t.data_file), parse)
        self.doc.wasAssociatedWith(parse, self.software(t.parser, t.parser_version))

    def analysis(self, j: m.AnalysisJob) -> None:
        a = self.doc.activity(
            record_id(j),
            j.started_at,
            j.finished_at,
            _attrs(
                f"{j.kind} analysis of {j.data_file.original_name}",
                _q("AnalysisRun"),
                kind=j.kind,
                status=j.status,
                analysis_version=j.analysis_version,
                code_commit=j.code_commit,
                parameters=j.parameters,
                parameters_sha256=j.parameters_sha256,
                reader=j.reader or "detected from the content",
                input_sha256=j.input_sha256,
                output_sha256=j.output_sha256,
                library_versions=j.library_versions,
                worker_host=j.claimed_by,
                attempts=j.attempts,
                error=j.error,
            ),
        )
        self.doc.used(a, record_id(j.data_file), other_attributes={PROV_ROLE: "raw data"})
        if j.parsed_table_id:
            self.doc.used(a, record_id(j.parsed_table), other_attributes={PROV_ROLE: "table"})
        cycling = self.reused(j)
        if cycling is not None:  # its profiles and half-cycles instead of the file's table
            self.doc.used(a, record_id(cycling), other_attributes={PROV_ROLE: "cycling curves"})
        self.doc.wasAssociatedWith(a, self.software("labdb-analysis", j.analysis_version))
        requester = self.user(j.requested_by)
        if requester is not None:
            self.doc.wasAssociatedWith(a, requester)

    def result(self, r: m.AnalysisResult) -> None:
        job = r.job
        metrics = (r.summary or {}).get("metrics", {})
        e = self.doc.entity(
            record_id(r),
            _attrs(
                f"{r.kind} result of {r.test_run.label}",
                _q("AnalysisResult"),
                kind=r.kind,
                **{rm.column: getattr(r, rm.column) for rm in m.RUN_METRICS},
                metrics=metrics,
                output_sha256=job.output_sha256,
            ),
        )
        self.doc.wasGeneratedBy(e, record_id(job), r.created_at)
        source = job.parsed_table if job.parsed_table_id else job.data_file
        self.doc.wasDerivedFrom(e, record_id(source), record_id(job))
        cycling = self.reused(job)
        if cycling is not None:
            self.doc.wasDerivedFrom(e, record_id(cycling), record_id(job))
