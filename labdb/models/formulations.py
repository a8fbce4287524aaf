"""Electrode formulations: named, versioned recipes of lots with mass fractions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from labdb.models.base import CatalogRecord
from labdb.models.materials import MaterialLot

#: Allowed deviation of the summed mass fractions from 100 wt%.
MASS_FRACTION_TOLERANCE_PCT = 0.01


class Formulation(CatalogRecord):
    """One version of a recipe. ``name`` groups the versions; a version used by an electrode
    batch is frozen, and editing it creates the next version (see services.formulations)."""

    name = models.CharField(max_length=120)
    version = models.PositiveIntegerField(default=1)
    solvent_lot = models.ForeignKey(
        MaterialLot, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    solids_content_pct = models.FloatField("solids content (wt%)", null=True, blank=True)
    target_thickness_um = models.FloatField("target thickness (um)", null=True, blank=True)
    previous_version = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version"
    )

    QUANTITY_FIELDS = {"target_thickness_um": "thickness"}

    class Meta(CatalogRecord.Meta):
        ordering = ["name", "version"]
        constraints = [
            *CatalogRecord.Meta.constraints,
            models.UniqueConstraint(
                fields=["project", "name", "version"], name="formulation_unique_version"
            ),
        ]

    def clean(self) -> None:
        if self.solids_content_pct is not None and not 0 < self.solids_content_pct <= 100:
            raise ValidationError({"solids_content_pct": "a percentage between 0 and 100"})
        if self.target_thickness_um is not None and self.target_thickness_um <= 0:
            raise ValidationError({"target_thickness_um": "must be positive"})
        if self.solvent_lot_id and self.solvent_lot.material.category != "solvent":
            raise ValidationError({"solvent_lot": f"{self.solvent_lot.label} is not a solvent lot"})

    @property
    def is_frozen(self) -> bool:
        """Frozen once an electrode batch uses it."""
        return self.batches.exists()


class FormulationComponent(models.Model):
    class Role(models.TextChoices):
        SEED = "seed", "seed"
        BINDER = "binder", "binder"
        CONDUCTIVE_ADDITIVE = "conductive_additive", "conductive additive"
        SOLID_ELECTROLYTE = "solid_electrolyte", "solid electrolyte"
        ACTIVE = "active", "active material"
        OTHER = "other", "other"

    formulation = models.ForeignKey(
        Formulation, on_delete=models.CASCADE, related_name="components"
    )
    lot = models.ForeignKey(MaterialLot, on_delete=models.PROTECT, related_name="used_in")
    role = models.CharField(max_length=30, choices=Role.choices)
    mass_fraction_pct = models.FloatField("mass fraction (wt%)")

    class Meta:
        ordering = ["formulation", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mass_fraction_pct__gt=0, mass_fraction_pct__lte=100),
                name="component_fraction_0_100",
            )
        ]

    def __str__(self) -> str:
        return f"{self.lot} {self.mass_fraction_pct} wt% ({self.role})"
