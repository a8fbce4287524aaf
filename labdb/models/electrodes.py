"""Electrode batches and their ordered process steps."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from labdb.models.base import CatalogRecord
from labdb.models.formulations import Formulation
from labdb.models.materials import MaterialLot
from labdb.text import a


class ElectrodeBatch(CatalogRecord):
    formulation = models.ForeignKey(Formulation, on_delete=models.PROTECT, related_name="batches")
    current_collector_lot = models.ForeignKey(
        MaterialLot, on_delete=models.PROTECT, related_name="collector_batches"
    )
    measured_thickness_um = models.FloatField("measured thickness (um)", null=True, blank=True)
    areal_loading_mg_cm2 = models.FloatField("areal loading (mg/cm2)", null=True, blank=True)
    made_on = models.DateField(null=True, blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    QUANTITY_FIELDS = {
        "measured_thickness_um": "thickness",
        "areal_loading_mg_cm2": "areal_loading",
    }

    class Meta(CatalogRecord.Meta):
        verbose_name_plural = "electrode batches"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.formulation_id and self.formulation.project_id != self.project_id:
            errors["formulation"] = "the formulation belongs to another project"
        if self.current_collector_lot_id:
            lot = self.current_collector_lot
            if lot.project_id != self.project_id:
                errors["current_collector_lot"] = "the lot belongs to another project"
            elif lot.material.category != "current_collector":
                errors["current_collector_lot"] = (
                    f"{lot.label} is {a(lot.material.get_category_display())} lot, "
                    "not a current collector"
                )
        for key in ("measured_thickness_um", "areal_loading_mg_cm2"):
            value = getattr(self, key)
            if value is not None and value <= 0:
                errors[key] = "must be positive"
        if errors:
            raise ValidationError(errors)


class ProcessStep(models.Model):
    """One step of making a batch. Which parameters a step needs depends on its kind
    (see ``REQUIRED_STEP_FIELDS``); values are stored in canonical units."""

    class Kind(models.TextChoices):
        MIXING = "mixing", "mixing"
        CASTING = "casting", "slurry casting"
        DRYING = "drying", "drying"
        PRESSING = "pressing", "pressing"
        OTHER = "other", "other"

    batch = models.ForeignKey(ElectrodeBatch, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    method = models.CharField(
        max_length=120, blank=True, help_text="e.g. doctor blade, Thinky mixer"
    )
    gap_um = models.FloatField("gap (um)", null=True, blank=True)
    temperature_c = models.FloatField("temperature (degC)", null=True, blank=True)
    duration_h = models.FloatField("duration (h)", null=True, blank=True)
    atmosphere = models.CharField(max_length=60, blank=True, help_text="e.g. vacuum, Ar, dry room")
    pressure_mpa = models.FloatField("pressure (MPa)", null=True, blank=True)
    speed_rpm = models.FloatField("speed (rpm)", null=True, blank=True)
    notes = models.CharField(max_length=300, blank=True)

    #: Quantity kind (labdb.units.KINDS) of each field that holds a physical quantity, stored in
    #: the kind's canonical unit (see labdb.models.quantities).
    QUANTITY_FIELDS: ClassVar[dict[str, str]] = {
        "gap_um": "thickness",
        "temperature_c": "temperature",
        "duration_h": "duration",
        "pressure_mpa": "pressure",
        "speed_rpm": "rotation_speed",
    }

    class Meta:
        ordering = ["batch", "order"]
        constraints = [models.UniqueConstraint(fields=["batch", "order"], name="step_unique_order")]

    def __str__(self) -> str:
        return f"{self.order}. {self.get_kind_display()}"

    def clean(self) -> None:
        missing = [
            f for f in REQUIRED_STEP_FIELDS.get(self.kind, ()) if getattr(self, f) in (None, "")
        ]
        errors = {f: f"required for {a(self.get_kind_display())} step" for f in missing}
        if self.temperature_c is not None and self.temperature_c < -273.15:
            errors["temperature_c"] = "below absolute zero"
        for key in ("gap_um", "duration_h", "pressure_mpa", "speed_rpm"):
            value = getattr(self, key)
            if value is not None and value <= 0:
                errors[key] = "must be positive"
        if errors:
            raise ValidationError(errors)


#: Fields a process step must have, by kind.
REQUIRED_STEP_FIELDS: dict[str, tuple[str, ...]] = {
    ProcessStep.Kind.MIXING: ("method",),
    ProcessStep.Kind.CASTING: ("method", "gap_um"),
    ProcessStep.Kind.DRYING: ("temperature_c", "duration_h", "atmosphere"),
    ProcessStep.Kind.PRESSING: ("pressure_mpa",),
    ProcessStep.Kind.OTHER: (),
}
