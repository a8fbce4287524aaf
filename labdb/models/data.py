"""Raw data files, their parsed tables, analysis jobs and their results."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models

from labdb.models.base import Project
from labdb.models.cycle_rows import CycleResultQuerySet
from labdb.models.immutable import (
    FinishedJobImmutable,
    ImmutableModel,
    JobQuerySet,
)
from labdb.models.testing import TestRun


class DataFile(ImmutableModel):
    """A raw instrument file registered on a test run. The bytes are in the blob store under
    their sha256; the same content on the same run is one record (idempotent re-sends)."""

    class Source(models.TextChoices):
        WEB = "web", "web upload"
        API = "api", "REST API"
        CLI = "cli", "command line"
        HARVESTER = "harvester", "folder harvester"
        DEMO = "demo", "demo study"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    test_run = models.ForeignKey(TestRun, on_delete=models.PROTECT, related_name="files")
    sha256 = models.CharField(max_length=64, db_index=True)
    size_bytes = models.BigIntegerField()
    original_name = models.CharField(max_length=255, help_text="as sent; metadata only")
    format = models.CharField(max_length=40, blank=True, help_text="explicit reader, if any")
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.WEB)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    #: the earlier file of the same run whose bytes are a prefix of this one's (checked by the
    #: sha256 of the prefix on the server): this file is the next version of the run's data
    #: as the instrument kept writing (docs/live.md)
    extends = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="extended_by"
    )
    #: 1 for a file that extends nothing, else the version of ``extends`` plus one
    version = models.PositiveIntegerField(default=1)
    #: the sha256 of each block of the content (``{"block_bytes": n, "sha256": [hex, ...]}``,
    #: the last block shorter), recorded for a file that extends another (the earlier file's
    #: whole blocks taken from its own list, the rest hashed): its analysis re-hashes only the
    #: blocks it reads (docs/live.md, "Hashing only what a version adds"); empty otherwise
    block_sha256 = models.JSONField(default=dict, blank=True)
    #: the running sha256's state at the end of the content (``labdb.hash_state``, tagged with
    #: the library that wrote it): an append to this file hashes only its new bytes
    #: (``labdb.storage.store_appended``); null where it could not be saved. Kept server-side,
    #: never shown
    sha256_state = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-uploaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["test_run", "sha256"], name="datafile_unique_per_run"),
            # the versions of a growing file form a chain: a file has at most one next version
            # (two uploads racing to extend the same file: one wins, labdb.services.ingest)
            models.UniqueConstraint(
                fields=["extends"],
                condition=models.Q(extends__isnull=False),
                name="datafile_one_next_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"


class ParsedTable(ImmutableModel):
    """The canonical table parsed from a data file, stored as Parquet (zstd) in the blob
    store, with the parser's name and version. A file mixing techniques (BioLogic DC cycling
    with PEIS/GEIS loops) gives one table per kind: its cycling table and its spectra."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_file = models.ForeignKey(DataFile, on_delete=models.PROTECT, related_name="tables")
    sha256 = models.CharField(max_length=64, help_text="of the Parquet blob")
    kind = models.CharField(max_length=20)
    format = models.CharField(max_length=40)
    parser = models.CharField(max_length=120)
    parser_version = models.CharField(max_length=20)
    rows = models.BigIntegerField()
    columns = models.JSONField(default=list)
    warnings = models.JSONField(default=list)
    metadata = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["data_file", "parser", "parser_version", "kind"],
                name="table_unique_per_parser_and_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.format} table of {self.data_file} ({self.rows} rows)"


class AnalysisJob(FinishedJobImmutable):
    """One analysis of one data file with given parameters.

    State lives here, not in the broker: a worker claims a job with a conditional update, and a
    periodic sweep re-queues jobs whose lease expired. Idempotent on (file, kind, analysis code
    version, parameters hash, reader, repeat): asking again for the same analysis returns the
    same job.
    """

    record_name = "analysis job"

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"
        #: not run: a newer version of the same growing file (``DataFile.extends``) had the
        #: same analysis queued or done, so that one was analysed instead (docs/live.md)
        SUPERSEDED = "superseded", "superseded"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    data_file = models.ForeignKey(DataFile, on_delete=models.PROTECT, related_name="jobs")
    kind = models.CharField(max_length=20)
    parameters = models.JSONField(default=dict)
    parameters_sha256 = models.CharField(max_length=64)
    analysis_version = models.CharField(max_length=40)
    #: the reader the file is read with: a person's choice (FormatChoice) or the format named
    #: at upload when the job was asked for; "" = detected from the content
    reader = models.CharField(max_length=40, blank=True, default="")
    #: 0 for the first job of this analysis and reader on the file; n + 1 when a person chose
    #: the reader again after another reading had become the run's current result (read as A,
    #: then B, then A: the third is a new job, so A's reading is current again)
    repeat = models.PositiveIntegerField(default=0)
    code_commit = models.CharField(max_length=40, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    claimed_by = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    library_versions = models.JSONField(default=dict, blank=True)
    parsed_table = models.ForeignKey(
        ParsedTable, null=True, blank=True, on_delete=models.PROTECT, related_name="jobs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: sha256 of every input: the raw file and the parsed table the analysis read.
    input_sha256 = models.JSONField(default=list, blank=True)
    #: sha256 of the canonical JSON of the analysis output, to check reproductions.
    output_sha256 = models.CharField(max_length=64, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at"]
        constraints = [
            # One live job per input, analysis and parameters; failed jobs stay as the record
            # of what went wrong and do not block a new attempt.
            models.UniqueConstraint(
                fields=[
                    "data_file",
                    "kind",
                    "analysis_version",
                    "parameters_sha256",
                    "reader",
                    "repeat",
                ],
                condition=~models.Q(status="failed"),
                name="job_idempotent_per_reading",
            ),
            models.CheckConstraint(
                condition=models.Q(progress__gte=0, progress__lte=1), name="job_progress_0_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} job on {self.data_file} ({self.status})"

    @property
    def test_run(self) -> TestRun:
        return self.data_file.test_run


@dataclass(frozen=True)
class RunMetric:
    """A run metric of a cycling result kept as a column of :class:`AnalysisResult` (so the API
    filters and orders by it). ``metric`` is its key in the cycling analysis's metrics
    (definitions: docs/metrics-cycling.md); ``unit`` "1" is a fraction."""

    column: str
    metric: str
    label: str
    unit: str
    integer: bool = False
    #: offered as ``<column>_min`` / ``<column>_max`` filters and as an ordering by the API
    filterable: bool = False


#: The run-metric columns, defined once, in the order tables and exports show them.
RUN_METRICS: tuple[RunMetric, ...] = (
    RunMetric("cycle_count", "number_of_cycles", "cycle count", "cycles", True, True),
    RunMetric(
        "initial_coulombic_efficiency",
        "initial_coulombic_efficiency",
        "initial coulombic efficiency",
        "1",
        filterable=True,
    ),
    RunMetric(
        "average_coulombic_efficiency",
        "average_coulombic_efficiency",
        "average coulombic efficiency",
        "1",
        filterable=True,
    ),
    RunMetric(
        "cumulative_coulombic_efficiency",
        "cumulative_coulombic_efficiency",
        "cumulative coulombic efficiency",
        "1",
    ),
    RunMetric("capacity_retention", "capacity_retention", "capacity retention", "1", False, True),
    RunMetric("short_circuit_cycle", "short_circuit_cycle", "short-circuit cycle", "cycle", True),
    RunMetric("cycle_life", "cycle_life", "cycle life", "cycles", True, True),
    RunMetric("total_time_h", "total_time_h", "test time", "h"),
)


class RunMetricColumns(models.Model):
    """The run-metric columns of :data:`RUN_METRICS`, one definition for the results that
    fill them and the cell summaries that copy them (:class:`labdb.models.CellSummary`)."""

    cycle_count = models.IntegerField(null=True, blank=True)
    initial_coulombic_efficiency = models.FloatField(null=True, blank=True)
    average_coulombic_efficiency = models.FloatField(null=True, blank=True)
    cumulative_coulombic_efficiency = models.FloatField(null=True, blank=True)
    capacity_retention = models.FloatField(null=True, blank=True)
    short_circuit_cycle = models.IntegerField(null=True, blank=True)
    cycle_life = models.IntegerField(null=True, blank=True)
    total_time_h = models.FloatField(null=True, blank=True)

    class Meta:
        abstract = True


class AnalysisResult(RunMetricColumns, ImmutableModel):
    """The run-level outcome of a succeeded job. Cycling results fill the metric columns (so
    the API can filter by range); every kind keeps its full JSON summary."""

    finished_job_field = "job"

    job = models.OneToOneField(
        AnalysisJob, primary_key=True, on_delete=models.PROTECT, related_name="result"
    )
    test_run = models.ForeignKey(TestRun, on_delete=models.PROTECT, related_name="results")
    kind = models.CharField(max_length=20)
    summary = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    #: the run checked against its protocol when the result was stored
    #: (analysis.conformance.Conformance.to_dict: checks, deviations with their cycles, the
    #: protocol values and tolerances used); None: stored before the check existed
    conformance = models.JSONField(null=True, blank=True)
    #: a cycling result's per-cycle rows are those of a *lineage* of results (the versions of
    #: a growing file analysed one from the other) valid at its place ``cycles_seq`` in it:
    #: the rows it wrote and those its predecessors wrote that no later one replaced
    #: (:mod:`labdb.models.cycle_rows`). The first result of a lineage names itself, at 0;
    #: None (results stored before lineages, and other kinds): the rows it wrote
    cycles_lineage = models.ForeignKey(  # indexed by the unique place below
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    cycles_seq = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # one result per place of a lineage: two results continuing the same one are
            # refused here (the second then starts a lineage of its own)
            models.UniqueConstraint(
                fields=["cycles_lineage", "cycles_seq"],
                condition=models.Q(cycles_lineage__isnull=False),
                name="result_one_per_lineage_place",
            )
        ]
        indexes = [
            # the API's results list, newest first, a page at a time by keyset
            # (labdb.api.pagination.NewestFirstPagination): a decade's 50,000 results are
            # walked from the newest instead of sorted for each page (bench/scale.py)
            models.Index(fields=["-created_at", "-job_id"], name="result_newest_first"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} result of {self.test_run}"

    def cycle_rows(self) -> CycleResultQuerySet:
        """This result's per-cycle rows (:mod:`labdb.models.cycle_rows`: the rows of its
        lineage valid at its place; ``written_cycles`` are only the rows it wrote)."""
        return CycleResult.objects.of_result(self)

    @property
    def deviation_count(self) -> int | None:
        """Protocol deviations found (None: not checked)."""
        if self.conformance is None:
            return None
        return len(self.conformance.get("deviations", []))


class CycleResult(ImmutableModel):
    """One cycle of a cycling result. Key values are columns; the rest is in ``values``.

    ``result`` is the result that computed the row. A row of a lineage (``lineage``, set on
    rows written since lineages exist) is valid for the results of that lineage from its place
    ``since`` until a row of the same cycle with a later ``since`` replaces it; ``absent``
    marks a cycle that a result no longer has. The rows valid for a result:
    ``result.cycle_rows()`` (``CycleResult.objects.of_result``; for many results at once
    ``labdb.models.cycle_rows.rows_of_results``), never ``result.written_cycles``, which are
    only the rows that result computed. docs/live.md, "Per-cycle rows shared between versions"."""

    objects = CycleResultQuerySet.as_manager()
    finished_job_field = "result"

    result = models.ForeignKey(
        AnalysisResult, on_delete=models.PROTECT, related_name="written_cycles"
    )
    lineage = models.ForeignKey(  # indexed by the unique place below
        AnalysisResult,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    since = models.IntegerField(null=True, blank=True)
    #: a row that says the cycle is absent from the lineage's results from ``since`` on (a
    #: default in the database too: rows inserted by SQL that does not name it are rows)
    absent = models.BooleanField(default=False, db_default=False)
    cycle = models.IntegerField()
    charge_capacity_mAh = models.FloatField(null=True)
    discharge_capacity_mAh = models.FloatField(null=True)
    plating_capacity_mAh = models.FloatField(null=True)
    stripping_capacity_mAh = models.FloatField(null=True)
    coulombic_efficiency = models.FloatField(null=True)
    values = models.JSONField(default=dict)

    class Meta:
        ordering = ["result", "cycle"]
        constraints = [
            models.UniqueConstraint(fields=["result", "cycle"], name="cycle_unique_per_result"),
            # also the index of the lookups of :mod:`labdb.models.cycle_rows`
            models.UniqueConstraint(
                fields=["lineage", "cycle", "since"],
                condition=models.Q(lineage__isnull=False),
                name="cycle_unique_per_lineage_place",
            ),
        ]

    def __str__(self) -> str:
        return f"cycle {self.cycle} of {self.result}"


class EISSpectrumFit(ImmutableModel):
    """The equivalent-circuit fit of one spectrum of an EIS result: circuit, parameters with
    standard errors, Rb/RSEI/RCT, the reason for the model choice, and the spectrum's labels
    (cycle, in-situ sequence, time, potential) where recorded."""

    finished_job_field = "result"

    result = models.ForeignKey(AnalysisResult, on_delete=models.PROTECT, related_name="spectra")
    spectrum = models.IntegerField()
    cycle = models.IntegerField(null=True)
    sequence = models.IntegerField(null=True)
    time_second = models.FloatField(null=True)
    potential_volt = models.FloatField(null=True)
    current_ampere = models.FloatField(null=True)
    #: where an in-situ spectrum sits in the DC run of its file (mixed BioLogic files):
    #: half-cycle index (0: before any current), state (plating, stripping, charge,
    #: discharge, reduction, oxidation or rest), charge since the half-cycle began, cell voltage
    half_cycle = models.IntegerField(null=True)
    state = models.CharField(max_length=20, blank=True)
    half_cycle_charge_ah = models.FloatField(null=True)
    voltage_volt = models.FloatField(null=True)
    #: the fit is a result (converged, no problem: analysis.eis.fitting.checks)
    fit_success = models.BooleanField(null=True)
    #: RSEI/RCT assignment: confident or ambiguous (analysis.eis.assign)
    assignment_status = models.CharField(max_length=20, blank=True)
    #: series inductance of the fitted circuit (H), when it has one
    inductance_h = models.FloatField(null=True)
    circuit = models.CharField(max_length=200)
    parameters = models.JSONField(default=dict)
    standard_errors = models.JSONField(default=dict)
    chi_square = models.FloatField(null=True)
    rb_ohm = models.FloatField(null=True)
    rsei_ohm = models.FloatField(null=True)
    rct_ohm = models.FloatField(null=True)
    rb_ohm_cm2 = models.FloatField(null=True)
    rsei_ohm_cm2 = models.FloatField(null=True)
    rct_ohm_cm2 = models.FloatField(null=True)
    model_reason = models.TextField(blank=True)
    #: lin-KK check (analysis.eis.LinKKResult.to_dict: M, mu, valid, residuals, ...)
    kk = models.JSONField(default=dict)
    #: everything else of the physical result (CPE parameters, time constants, ...)
    details = models.JSONField(default=dict)
    #: distribution of relaxation times (analysis.eis.DRTResult.to_dict: tau, gamma, peaks)
    drt = models.JSONField(default=dict)
    #: the fitted impedance on a dense grid and the relative residuals at the measured points
    curve = models.JSONField(default=dict)

    class Meta:
        ordering = ["result", "spectrum"]
        constraints = [
            models.UniqueConstraint(
                fields=["result", "spectrum"], name="spectrum_unique_per_result"
            )
        ]

    def __str__(self) -> str:
        return f"spectrum {self.spectrum} of {self.result}"


class ResultTable(ImmutableModel):
    """A named table of an analysis result, stored as zstd Parquet in the blob store under its
    sha256: a cycling result's half-cycle boundaries and voltage-profile curves, per-cycle and
    rate tables, an EIS result's resistances. Pages and plots read these, so what they show is
    what the job computed (its parameters, inputs and code version are the job's)."""

    finished_job_field = "result"

    result = models.ForeignKey(AnalysisResult, on_delete=models.PROTECT, related_name="tables")
    name = models.CharField(max_length=50)
    sha256 = models.CharField(max_length=64)
    rows = models.IntegerField()
    columns = models.JSONField(default=list)

    class Meta:
        ordering = ["result", "name"]
        constraints = [
            models.UniqueConstraint(fields=["result", "name"], name="table_name_unique_per_result")
        ]

    def __str__(self) -> str:
        return f"{self.name} of {self.result}"
