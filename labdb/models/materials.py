"""Materials, their lots (with particle sizes), and attachments stored with their sha256."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from labdb.models.base import CatalogRecord
from labdb.text import a


class Material(CatalogRecord):
    class Category(models.TextChoices):
        SEED_METAL = "seed_metal", "lithiophilic seed metal"
        BINDER = "binder", "binder"
        SOLID_ELECTROLYTE = "solid_electrolyte", "solid electrolyte"
        CATHODE_ACTIVE = "cathode_active", "cathode active material"
        CATHODE_COATING = "cathode_coating", "cathode coating"
        CONDUCTIVE_ADDITIVE = "conductive_additive", "conductive additive"
        CURRENT_COLLECTOR = "current_collector", "current collector"
        LITHIUM_METAL = "lithium_metal", "lithium metal"
        SOLVENT = "solvent", "solvent"

    category = models.CharField(max_length=30, choices=Category.choices)
    name = models.CharField(max_length=120)
    formula = models.CharField(max_length=120, blank=True, help_text="e.g. Li6PS5Cl")

    class Meta(CatalogRecord.Meta):
        pass


#: Category-specific lot properties: key -> (label, quantity kind or None for text, choices).
LOT_PROPERTIES: dict[str, dict[str, tuple[str, str | None, tuple[str, ...]]]] = {
    Material.Category.BINDER: {
        "polymer_type": (
            "polymer type",
            None,
            ("polyurethane elastomer (Elastane)", "PVDF", "SBR", "NBR", "PTFE", "other"),
        ),
        "molecular_weight_g_mol": ("molecular weight (g/mol)", "", ()),
    },
    Material.Category.SOLID_ELECTROLYTE: {
        "ionic_conductivity": ("ionic conductivity", "conductivity", ()),
        "structure": ("structure", None, ("argyrodite", "garnet", "NASICON", "other")),
    },
    Material.Category.CATHODE_ACTIVE: {
        "coating": ("coating", None, ()),
        "specific_capacity_mAh_g": ("specific capacity (mAh/g)", "", ()),
    },
    Material.Category.CATHODE_COATING: {
        "coating_thickness": ("coating thickness", "thickness", ())
    },
    Material.Category.CURRENT_COLLECTOR: {"foil_thickness": ("foil thickness", "thickness", ())},
    Material.Category.LITHIUM_METAL: {"foil_thickness": ("foil thickness", "thickness", ())},
    Material.Category.SEED_METAL: {"morphology": ("morphology", None, ())},
}


class MaterialLot(CatalogRecord):
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="lots")
    supplier = models.CharField(max_length=120)
    lot_number = models.CharField(max_length=80)
    received_date = models.DateField(null=True, blank=True)
    d10_nm = models.FloatField("D10 (nm)", null=True, blank=True)
    d50_nm = models.FloatField("D50 (nm)", null=True, blank=True)
    d90_nm = models.FloatField("D90 (nm)", null=True, blank=True)
    purity_pct = models.FloatField("purity (%)", null=True, blank=True)
    #: Category-specific properties (see LOT_PROPERTIES), in canonical units.
    properties = models.JSONField(default=dict, blank=True)
    #: a lot held back (contaminated, out of specification): its cells are flagged in
    #: comparisons; set and lifted with a reason through services.lots
    quarantined = models.BooleanField(default=False)
    quarantine_reason = models.CharField(max_length=300, blank=True)

    QUANTITY_FIELDS = {
        "d10_nm": "particle_size",
        "d50_nm": "particle_size",
        "d90_nm": "particle_size",
    }

    class Meta(CatalogRecord.Meta):
        constraints = [
            *CatalogRecord.Meta.constraints,
            models.UniqueConstraint(
                fields=["material", "supplier", "lot_number"], name="lot_unique_supplier_number"
            ),
            models.CheckConstraint(
                condition=models.Q(purity_pct__isnull=True)
                | models.Q(purity_pct__gte=0, purity_pct__lte=100),
                name="lot_purity_0_100",
            ),
            models.CheckConstraint(
                condition=models.Q(d50_nm__isnull=True) | models.Q(d50_nm__gt=0),
                name="lot_d50_positive",
            ),
        ]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.material_id and self.project_id and self.material.project_id != self.project_id:
            errors["material"] = "the material belongs to another project"
        for key in ("d10_nm", "d50_nm", "d90_nm"):
            value = getattr(self, key)
            if value is not None and value <= 0:
                errors[key] = "a particle size must be positive"
        d10, d50, d90 = self.d10_nm, self.d50_nm, self.d90_nm
        if d10 is not None and d50 is not None and d10 > d50:
            errors["d10_nm"] = "D10 cannot exceed D50"
        if d90 is not None and d50 is not None and d90 < d50:
            errors["d90_nm"] = "D90 cannot be below D50"
        if self.purity_pct is not None and not 0 <= self.purity_pct <= 100:
            errors["purity_pct"] = "purity is a percentage between 0 and 100"
        if self.material_id:
            allowed = LOT_PROPERTIES.get(self.material.category, {})
            unknown = sorted(set(self.properties or {}) - set(allowed))
            if unknown:
                errors["properties"] = (
                    f"not a property of {a(self.material.get_category_display())} lot: "
                    f"{', '.join(unknown)}"
                    + (f" (allowed: {', '.join(allowed)})" if allowed else "")
                )
        if errors:
            raise ValidationError(errors)


class Attachment(models.Model):
    """A file attached to a lot or an electrode batch (CoA, XRD, SEM, EDS, FT-IR, ...).

    The bytes live in the content-addressed blob store; the name is metadata only.
    """

    class Kind(models.TextChoices):
        COA = "coa", "certificate of analysis"
        XRD = "xrd", "XRD pattern"
        SEM = "sem", "SEM image"
        EDS = "eds", "EDS map"
        FTIR = "ftir", "FT-IR spectrum"
        OTHER = "other", "other"

    lot = models.ForeignKey(
        MaterialLot, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    batch = models.ForeignKey(
        "labdb.ElectrodeBatch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    description = models.CharField(max_length=200, blank=True)
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    size_bytes = models.BigIntegerField()
    content_type = models.CharField(max_length=120, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    #: removed by a person (the bytes and the row stay; pages list it as removed)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removal_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lot__isnull=False) | models.Q(batch__isnull=False),
                name="attachment_has_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"
