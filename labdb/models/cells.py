"""Cells: half cells (Li | SE | anode-less electrode) and full cells (cathode | SE | electrode)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from labdb.models.base import CatalogRecord
from labdb.models.electrodes import ElectrodeBatch
from labdb.models.materials import Material, MaterialLot
from labdb.text import a


class Cell(CatalogRecord):
    class Kind(models.TextChoices):
        HALF = "half", "half cell (Li | SE | electrode)"
        FULL = "full", "full cell (cathode | SE | electrode)"

    class Status(models.TextChoices):
        ASSEMBLED = "assembled", "assembled"
        TESTING = "testing", "on test"
        FINISHED = "finished", "finished"
        SHORTED = "shorted", "short-circuited"
        RETIRED = "retired", "retired"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ASSEMBLED)
    anode_batch = models.ForeignKey(
        ElectrodeBatch,
        on_delete=models.PROTECT,
        related_name="cells",
        verbose_name="anode-side electrode batch",
    )
    lithium_lot = models.ForeignKey(
        MaterialLot,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="counter electrode of a half cell",
    )
    cathode_lot = models.ForeignKey(
        MaterialLot,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="cathode active material of a full cell",
    )
    cathode_coating_lot = models.ForeignKey(
        MaterialLot, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cathode_loading_mg_cm2 = models.FloatField("cathode loading (mg/cm2)", null=True, blank=True)
    electrolyte_lot = models.ForeignKey(
        MaterialLot,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="solid-electrolyte lot",
    )
    electrolyte_thickness_um = models.FloatField("SE layer thickness (um)", null=True, blank=True)
    area_cm2 = models.FloatField("area (cm2)")
    stack_pressure_mpa = models.FloatField("stack pressure (MPa)", null=True, blank=True)
    assembled_on = models.DateField(null=True, blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    QUANTITY_FIELDS = {
        "cathode_loading_mg_cm2": "areal_loading",
        "electrolyte_thickness_um": "thickness",
        "area_cm2": "area",
        "stack_pressure_mpa": "pressure",
    }

    class Meta(CatalogRecord.Meta):
        constraints = [
            *CatalogRecord.Meta.constraints,
            models.CheckConstraint(condition=models.Q(area_cm2__gt=0), name="cell_area_positive"),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="half", lithium_lot__isnull=False, cathode_lot__isnull=True)
                    | models.Q(kind="full", cathode_lot__isnull=False, lithium_lot__isnull=True)
                ),
                name="cell_counter_electrode_matches_kind",
            ),
        ]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        expected = {
            "lithium_lot": "lithium_metal",
            "cathode_lot": "cathode_active",
            "cathode_coating_lot": "cathode_coating",
            "electrolyte_lot": "solid_electrolyte",
        }
        for field, category in expected.items():
            lot = getattr(self, field) if getattr(self, f"{field}_id") else None
            if lot is None:
                continue
            if lot.project_id != self.project_id:
                errors[field] = "the lot belongs to another project"
            elif lot.material.category != category:
                errors[field] = (
                    f"{lot.label} is {a(lot.material.get_category_display())} lot; "
                    f"expected {a(Material.Category(category).label)} lot"
                )
        if self.anode_batch_id and self.anode_batch.project_id != self.project_id:
            errors["anode_batch"] = "the electrode batch belongs to another project"
        if self.kind == self.Kind.HALF:
            if not self.lithium_lot_id:
                errors.setdefault(
                    "lithium_lot", "a half cell needs a lithium counter electrode lot"
                )
            for field in ("cathode_lot", "cathode_coating_lot", "cathode_loading_mg_cm2"):
                if getattr(self, field if field.endswith("cm2") else f"{field}_id"):
                    errors[field] = "a half cell has a lithium counter electrode, not a cathode"
        elif self.kind == self.Kind.FULL:
            if not self.cathode_lot_id:
                errors.setdefault("cathode_lot", "a full cell needs a cathode lot")
            if self.lithium_lot_id:
                errors["lithium_lot"] = "a full cell has a cathode, not a lithium counter electrode"
        if self.area_cm2 is not None and self.area_cm2 <= 0:
            errors["area_cm2"] = "the area must be positive"
        for key in ("electrolyte_thickness_um", "stack_pressure_mpa", "cathode_loading_mg_cm2"):
            value = getattr(self, key)
            if value is not None and value <= 0:
                errors[key] = "must be positive"
        if errors:
            raise ValidationError(errors)
