"""Data entities: the raw instrument files of the test runs and their parsed tables (copied from
the blob store) and one JSON file per analysis result, with its metrics as ``PropertyValue``
and, for a cycling result on an instrument with a stated accuracy, the limits of error of its
CE and capacities (``instrument_bounds``: docs/statistics.md, "Uncertainty")."""

from __future__ import annotations

import json
from io import BytesIO

from rocrate.model.entity import Entity

from labdb import models as m
from labdb.exports import vocab
from labdb.exports.crate.entities import _EntityBuilder
from labdb.exports.crate.terms import _encoding, _iso, safe_name, uri
from labdb.selectors.uncertainty import cycling_bounds
from labdb.table_parts import is_manifest, read_table


class _DataEntities(_EntityBuilder):
    def run_folder(self, run: m.TestRun) -> str:
        return safe_name(run.label)

    def data_file(self, f: m.DataFile) -> Entity:
        return self.blob_file(
            f.sha256,
            f"{self.run_folder(f.test_run)}/{safe_name(f.original_name)}",
            {
                "name": f.original_name,
                "encodingFormat": _encoding(f.original_name),
                "dateCreated": _iso(f.uploaded_at),
                "about": self.ref(f.test_run),
                "identifier": uri(f),
            },
        )

    def parsed_table(self, t: m.ParsedTable) -> Entity:
        dest = f"{self.run_folder(t.data_file.test_run)}/parsed/{t.pk}.parquet"
        props = {
            "name": f"{t.format} table of {t.data_file.original_name}",
            "description": (
                f"canonical table ({t.rows} rows; columns {', '.join(t.columns)}) "
                f"parsed by {t.parser} {t.parser_version}"
            ),
            "encodingFormat": "application/vnd.apache.parquet",
            "dateCreated": _iso(t.created_at),
            "identifier": uri(t),
        }
        if not is_manifest(t.sha256):
            return self.blob_file(t.sha256, dest, props)
        # a grown file's table stored in parts (labdb.table_parts): the crate gets it whole
        buf = BytesIO()
        read_table(t.sha256, verify=True).to_parquet(buf, compression="zstd", index=False)
        return self.bytes_file(buf.getvalue(), dest, {**props, "labdbTable": t.sha256})

    def result_file(self, r: m.AnalysisResult) -> Entity:
        job = r.job
        payload = {
            "job": str(job.pk),
            "kind": r.kind,
            "test_run": r.test_run.label,
            "analysis_version": job.analysis_version,
            "code_commit": job.code_commit,
            "parameters": job.parameters,
            "parameters_sha256": job.parameters_sha256,
            "input_sha256": job.input_sha256,
            "output_sha256": job.output_sha256,
            "summary": r.summary,
        }
        bounds = cycling_bounds(r)
        if bounds is not None:  # the CE +- from the instrument's stated accuracy, per cycle
            payload["instrument_bounds"] = bounds.to_dict()
        data = (json.dumps(payload, indent=2, sort_keys=True) + "\n").encode()
        ident = uri(r)
        metrics = [
            self.prop(ident, key, rm.label, getattr(r, rm.column), rm.unit, pid)
            for key, rm, pid in _CRATE_METRICS
            if getattr(r, rm.column) is not None
        ]
        return self.bytes_file(
            data,
            f"{self.run_folder(r.test_run)}/results/{r.kind}-{job.pk}.json",
            {
                "name": f"{r.kind} result of {r.test_run.label}",
                "encodingFormat": "application/json",
                "dateCreated": _iso(r.created_at),
                "identifier": ident,
                "about": self.ref(r.test_run),
                "variableMeasured": [{"@id": p.id} for p in metrics if p is not None],
            },
        )


_BY_COLUMN = {rm.column: rm for rm in m.RUN_METRICS}
#: the run metrics a crate states as properties: (property id, metric, BattINFO term)
_CRATE_METRICS = (
    ("ice", _BY_COLUMN["initial_coulombic_efficiency"], vocab.INITIAL_COULOMBIC_EFFICIENCY),
    ("ace", _BY_COLUMN["average_coulombic_efficiency"], vocab.COULOMBIC_EFFICIENCY),
    ("cce", _BY_COLUMN["cumulative_coulombic_efficiency"], vocab.COULOMBIC_EFFICIENCY),
    ("cycle-life", _BY_COLUMN["cycle_life"], vocab.CYCLE_LIFE),
    ("cycles", _BY_COLUMN["cycle_count"], ""),
)
