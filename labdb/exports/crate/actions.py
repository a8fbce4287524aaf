"""Actions of the Process Run Crate profile (https://w3id.org/ro/wfrun/process/0.5): one
``CreateAction`` per analysis run, with the labdb-analysis ``SoftwareApplication`` of its version
and commit as ``instrument``."""

from __future__ import annotations

import json

from rocrate.model.entity import Entity

from labdb import models as m
from labdb.exports.crate.entities import _EntityBuilder
from labdb.exports.crate.terms import _clean, _iso, uri


class _ProcessRunActions(_EntityBuilder):
    def software(self, job: m.AnalysisJob) -> dict[str, str]:
        ident = f"#labdb-analysis-{job.analysis_version}" + (
            f"-{job.code_commit[:12]}" if job.code_commit else ""
        )
        self.add(
            ident,
            {
                "@type": "SoftwareApplication",
                "name": "labdb-analysis",
                "version": job.analysis_version,
                "softwareVersion": job.analysis_version
                + (f"+{job.code_commit}" if job.code_commit else ""),
                "description": "labdb analysis code (Python package `analysis`)",
            },
        )
        return {"@id": ident}

    def analysis(
        self, job: m.AnalysisJob, inputs: list[Entity], result_file: Entity | None
    ) -> None:
        ident = f"#analysis-{job.pk}"
        params = [
            self.add(
                f"{ident}-param-{name}",
                {
                    "@type": "PropertyValue",
                    "name": name,
                    "value": value if isinstance(value, (int, float, str)) else json.dumps(value),
                },
            )
            for name, value in sorted(job.parameters.items())
        ]
        params.append(
            self.add(
                f"{ident}-parameters-sha256",
                {
                    "@type": "PropertyValue",
                    "name": "parameters_sha256",
                    "value": job.parameters_sha256,
                    "description": "sha256 of the canonical JSON of the parameters",
                },
            )
        )
        status = {
            m.AnalysisJob.Status.SUCCEEDED: "http://schema.org/CompletedActionStatus",
            m.AnalysisJob.Status.FAILED: "http://schema.org/FailedActionStatus",
            m.AnalysisJob.Status.RUNNING: "http://schema.org/ActiveActionStatus",
        }.get(job.status, "http://schema.org/PotentialActionStatus")
        self.crate.add_action(
            self.software(job),
            identifier=ident,
            object=[{"@id": e.id} for e in inputs] + [{"@id": p.id} for p in params],
            result=[{"@id": result_file.id}] if result_file is not None else None,
            properties=_clean(
                {
                    "@type": "CreateAction",
                    "name": f"{job.kind} analysis of {job.data_file.original_name}",
                    "startTime": _iso(job.started_at),
                    "endTime": _iso(job.finished_at),
                    "actionStatus": {"@id": status},
                    "error": job.error,
                    "agent": self.person(job.requested_by),
                    "about": self.ref(job.data_file.test_run),
                    "description": (
                        f"worker host {job.claimed_by or 'unknown'}; analysis version "
                        f"{job.analysis_version}, commit {job.code_commit or 'unknown'}; "
                        f"libraries {json.dumps(job.library_versions, sort_keys=True)}"
                    ),
                    "identifier": uri(job),
                }
            ),
        )
