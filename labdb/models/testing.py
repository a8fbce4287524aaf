"""Instruments, test protocols (parameters validated per kind) and test runs."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from labdb.models.base import CatalogRecord
from labdb.models.cells import Cell
from labdb.models.electrodes import ElectrodeBatch


class Instrument(CatalogRecord):
    class Kind(models.TextChoices):
        CYCLER = "cycler", "cycler"
        POTENTIOSTAT = "potentiostat", "potentiostat"
        PEEL_TESTER = "peel_tester", "peel tester"
        SCRATCH_TESTER = "scratch_tester", "scratch tester"
        NANOINDENTER = "nanoindenter", "nano-indenter"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    vendor = models.CharField(max_length=80)
    model = models.CharField(max_length=80, blank=True)
    serial_number = models.CharField(max_length=80, blank=True)
    channels = models.PositiveIntegerField(default=1)
    # Stated accuracy (data sheet or calibration certificate): the CE and capacity error
    # bounds of every run on the instrument follow from these (docs/statistics.md,
    # "Uncertainty"; analysis.statistics.uncertainty).
    current_accuracy_pct_of_reading = models.FloatField(
        "current accuracy, % of reading",
        null=True,
        blank=True,
        help_text="gain error of the current measurement, e.g. 0.05",
    )
    current_accuracy_pct_of_range = models.FloatField(
        "current accuracy, % of range",
        null=True,
        blank=True,
        help_text="offset error as a percentage of the full-scale current of the range, e.g. 0.02",
    )
    current_range_mA = models.FloatField(
        "current range (mA)",
        null=True,
        blank=True,
        help_text="full-scale current of the range the channels measure in",
    )
    time_accuracy_ppm = models.FloatField(
        "time accuracy (ppm)", null=True, blank=True, help_text="clock error, parts per million"
    )
    calibrated_on = models.DateField("calibration date", null=True, blank=True)

    ACCURACY_FIELDS = (
        "current_accuracy_pct_of_reading",
        "current_accuracy_pct_of_range",
        "current_range_mA",
        "time_accuracy_ppm",
        "calibrated_on",
    )

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for key in ("current_accuracy_pct_of_reading", "current_accuracy_pct_of_range"):
            value = getattr(self, key)
            if value is not None and not 0 <= value < 100:
                errors[key] = "a percentage from 0 to below 100"
        if self.time_accuracy_ppm is not None and self.time_accuracy_ppm < 0:
            errors["time_accuracy_ppm"] = "must be zero or positive"
        if self.current_range_mA is not None and self.current_range_mA <= 0:
            errors["current_range_mA"] = "the range's full-scale current must be positive"
        if self.current_accuracy_pct_of_range is not None and self.current_range_mA is None:
            errors["current_range_mA"] = "give the range whose percentage the offset is"
        if errors:
            raise ValidationError(errors)


class TestProtocol(CatalogRecord):
    """A named procedure. ``parameters`` holds canonical values keyed by the names in
    ``labdb.protocols.PARAMETERS`` and is validated against the kind's required set."""

    __test__ = False  # not a pytest test class

    class Kind(models.TextChoices):
        PLATING_STRIPPING = "plating_stripping", "plating/stripping"
        GALVANOSTATIC = "galvanostatic", "galvanostatic cycling"
        FORMATION = "formation", "formation"
        RATE = "rate", "rate capability"
        EIS = "eis", "EIS"
        INSITU_EIS = "insitu_eis", "in-situ EIS"
        CV = "cv", "cyclic voltammetry"
        PEEL = "peel", "peel test"
        SCRATCH = "scratch", "scratch test"
        INDENTATION = "indentation", "nano-indentation"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    name = models.CharField(max_length=120)
    parameters = models.JSONField(default=dict, blank=True)
    description = models.TextField(blank=True)

    class Meta(CatalogRecord.Meta):
        constraints = [
            *CatalogRecord.Meta.constraints,
            models.UniqueConstraint(fields=["project", "name"], name="protocol_unique_name"),
        ]

    def clean(self) -> None:
        from labdb.protocols import validate_parameters

        errors = validate_parameters(self.kind, self.parameters or {})
        if errors:
            raise ValidationError({"parameters": [f"{k}: {v}" for k, v in errors.items()]})


class TestRun(CatalogRecord):
    """One run of a protocol on a cell (electrochemistry) or an electrode batch (mechanics)."""

    __test__ = False

    class Status(models.TextChoices):
        PLANNED = "planned", "planned"
        RUNNING = "running", "running"
        FINISHED = "finished", "finished"
        ABORTED = "aborted", "aborted"

    cell = models.ForeignKey(
        Cell, null=True, blank=True, on_delete=models.PROTECT, related_name="test_runs"
    )
    electrode_batch = models.ForeignKey(
        ElectrodeBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="test_runs"
    )
    protocol = models.ForeignKey(TestProtocol, on_delete=models.PROTECT, related_name="runs")
    instrument = models.ForeignKey(
        Instrument, null=True, blank=True, on_delete=models.PROTECT, related_name="runs"
    )
    channel = models.CharField(max_length=20, blank=True)
    after_cycles = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="for EIS after cycling: how many plating/stripping cycles the cell had",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(CatalogRecord.Meta):
        constraints = [
            *CatalogRecord.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(cell__isnull=False, electrode_batch__isnull=True)
                | models.Q(cell__isnull=True, electrode_batch__isnull=False),
                name="testrun_on_cell_or_batch",
            ),
        ]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if bool(self.cell_id) == bool(self.electrode_batch_id):
            errors["cell"] = "a test run is on either a cell or an electrode batch"
        for field in ("cell", "electrode_batch", "protocol", "instrument"):
            if getattr(self, f"{field}_id"):
                related = getattr(self, field)
                if related.project_id != self.project_id:
                    errors[field] = f"the {field.replace('_', ' ')} belongs to another project"
        if self.protocol_id:
            kind = self.protocol.kind
            if kind != TestProtocol.Kind.EIS and self.after_cycles is not None:
                errors["after_cycles"] = (
                    f"only an EIS-after-cycling run has this; {self.protocol.name} is "
                    f"{self.protocol.get_kind_display()}"
                )
        if (
            self.instrument_id
            and self.channel.isdigit()
            and int(self.channel) > self.instrument.channels
        ):
            errors["channel"] = f"{self.instrument.label} has {self.instrument.channels} channels"
        if errors:
            raise ValidationError(errors)

    @property
    def subject(self) -> Cell | ElectrodeBatch:
        return self.cell if self.cell is not None else self.electrode_batch  # type: ignore[return-value]
