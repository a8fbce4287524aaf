"""Forms for every catalog entity. Validation lives in the models' ``clean`` and in services;
forms translate input (units, related records the user may see) and show errors at the field."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import ForeignKey

from labdb.models import (
    LOT_PROPERTIES,
    Cell,
    ElectrodeBatch,
    Formulation,
    Instrument,
    Material,
    MaterialLot,
    Project,
    TestProtocol,
    TestRun,
)
from labdb.models.quantities import quantity_kind
from labdb.protocols import PARAMETERS, PROTOCOL_KINDS
from labdb.selectors.access import colleagues_of, projects_for, visible
from labdb.text import a
from labdb.units import KINDS, UnitError, format_quantity, parse_quantity
from labdb.web.fields import QuantityField
from labdb.web.formsets import ComponentFormSet  # re-exported for the admin

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _strip_unit(label: str) -> str:
    return re.sub(r"\s*\([^)]*\)\s*$", "", label)


class CatalogForm(forms.ModelForm):  # type: ignore[type-arg]
    """Base form: project choice limited to the user's projects, related records limited to
    what the user may see, quantity fields with units (the model's ``QUANTITY_FIELDS``)."""

    #: related fields limited to lots of these material categories
    lot_categories: dict[str, tuple[str, ...]] = {}

    def __init__(
        self, *args: Any, user: Any, unit_preferences: dict[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        prefs = unit_preferences or {}
        if "project" in self.fields:
            projects = projects_for(user)
            self.fields["project"].queryset = projects  # type: ignore[attr-defined]
            if not self.instance._state.adding:
                self.fields["project"].disabled = True
            elif projects.count() == 1:
                self.fields["project"].initial = projects.first()
        for name, field in list(self.fields.items()):
            model_field = self._meta.model._meta.get_field(name)
            if isinstance(model_field, ForeignKey) and name != "project":
                if model_field.related_model is get_user_model():
                    field.queryset = colleagues_of(user)  # type: ignore[attr-defined]
                    continue
                qs = visible(model_field.related_model, user)
                if name in self.lot_categories:
                    qs = qs.filter(material__category__in=self.lot_categories[name])
                field.queryset = qs  # type: ignore[attr-defined]
            kind = quantity_kind(self._meta.model, name)
            if kind:
                qf = QuantityField(
                    kind,
                    required=field.required,
                    label=_strip_unit(str(model_field.verbose_name)).capitalize(),
                )
                qf.preferred_unit = prefs.get(kind)
                self.fields[name] = qf
            if isinstance(field, forms.DateField):
                field.widget = DATE_WIDGET


class MaterialForm(CatalogForm):
    class Meta:
        model = Material
        fields = ["project", "label", "category", "name", "formula", "notes"]


class MaterialSelect(forms.Select):
    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option: dict[str, Any] = super().create_option(*args, **kwargs)
        value = option["value"]
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-category"] = instance.category
        return option


class MaterialChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A material select whose options carry the material's category (``data-category``), so
    the page shows only that category's lot properties."""

    widget = MaterialSelect  # type: ignore[assignment]


def lot_property_categories() -> dict[str, list[str]]:
    """Lot property key -> the material categories it belongs to (``foil_thickness`` is one
    input for current collectors and lithium foils)."""
    out: dict[str, list[str]] = {}
    for category, spec in LOT_PROPERTIES.items():
        for key in spec:
            out.setdefault(key, []).append(str(category))
    return out


class MaterialLotForm(CatalogForm):
    """A lot with one optional input per category-specific property (``prop_<key>``). Only the
    chosen material's category's properties may be filled: another one is refused at its own
    input (the page hides and disables them, see static/labdb/forms.js)."""

    class Meta:
        model = MaterialLot
        fields = [
            "project",
            "label",
            "material",
            "supplier",
            "lot_number",
            "received_date",
            "d10_nm",
            "d50_nm",
            "d90_nm",
            "purity_pct",
            "notes",
        ]
        field_classes = {"material": MaterialChoice}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["material"].widget.attrs["data-lot-material"] = ""
        props = self.instance.properties or {}
        prefs = kwargs.get("unit_preferences") or {}
        for key, categories in lot_property_categories().items():
            label, kind, choices = LOT_PROPERTIES[categories[0]][key]
            if kind:
                qf = QuantityField(kind, required=False, label=label.capitalize())
                qf.preferred_unit = prefs.get(kind)
                f: forms.Field = qf
            elif kind == "":
                f = forms.FloatField(required=False, label=label.capitalize())
            elif choices:
                f = forms.ChoiceField(
                    required=False,
                    label=label.capitalize(),
                    choices=[("", "---------")] + [(c, c) for c in choices],
                )
            else:
                f = forms.CharField(required=False, label=label.capitalize())
            names = " and ".join(Material.Category(c).label for c in categories)
            f.help_text = f"for {names} lots" + (f"; {f.help_text}" if f.help_text else "")
            f.initial = props.get(key)
            f.widget.attrs["data-lot-categories"] = " ".join(categories)
            self.fields[f"prop_{key}"] = f

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        material = data.get("material") or (
            self.instance.material if self.instance.material_id else None
        )
        allowed = LOT_PROPERTIES.get(material.category, {}) if material is not None else {}
        categories = lot_property_categories()
        properties = {}
        for name, value in list(data.items()):
            if not name.startswith("prop_") or value in (None, ""):
                continue
            key = name.removeprefix("prop_")
            if material is None:
                continue  # the material's own error is shown
            if key not in allowed:
                owners = " or ".join(Material.Category(c).label for c in categories[key])
                self.add_error(
                    name,
                    f"{material.name} is {a(material.get_category_display())}: this property "
                    f"is for {owners} lots; clear it or choose another material",
                )
                continue
            properties[key] = value
        self.instance.properties = properties
        return data

    def _update_errors(self, errors: forms.ValidationError) -> None:
        # MaterialLot.clean reports unknown properties under "properties", which has no input.
        if hasattr(errors, "error_dict") and "properties" in errors.error_dict:
            for error in errors.error_dict.pop("properties"):
                self.add_error(None, error.messages)
            if not errors.error_dict:
                return
        super()._update_errors(errors)


class FormulationForm(CatalogForm):
    lot_categories = {"solvent_lot": ("solvent",)}

    class Meta:
        model = Formulation
        fields = [
            "project",
            "label",
            "name",
            "solvent_lot",
            "solids_content_pct",
            "target_thickness_um",
            "notes",
        ]
        help_texts = {"label": "e.g. MgAgSn-Elastane v1"}


class ElectrodeBatchForm(CatalogForm):
    lot_categories = {"current_collector_lot": ("current_collector",)}

    class Meta:
        model = ElectrodeBatch
        fields = [
            "project",
            "label",
            "formulation",
            "current_collector_lot",
            "measured_thickness_um",
            "areal_loading_mg_cm2",
            "made_on",
            "operator",
            "notes",
        ]


class CellForm(CatalogForm):
    lot_categories = {
        "lithium_lot": ("lithium_metal",),
        "cathode_lot": ("cathode_active",),
        "cathode_coating_lot": ("cathode_coating",),
        "electrolyte_lot": ("solid_electrolyte",),
    }

    class Meta:
        model = Cell
        fields = [
            "project",
            "label",
            "kind",
            "status",
            "anode_batch",
            "lithium_lot",
            "cathode_lot",
            "cathode_coating_lot",
            "cathode_loading_mg_cm2",
            "electrolyte_lot",
            "electrolyte_thickness_um",
            "area_cm2",
            "stack_pressure_mpa",
            "assembled_on",
            "operator",
            "notes",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.status == Cell.Status.SHORTED:
            # reversing a detected short takes a reason: the cell page's "Not shorted" form
            self.fields["status"].disabled = True
            self.fields["status"].help_text = (
                "marked shorted: to reverse it, use “Not shorted” on the cell's page "
                "(a reason is required and recorded)"
            )


class InstrumentForm(CatalogForm):
    class Meta:
        model = Instrument
        fields = [
            "project",
            "label",
            "kind",
            "vendor",
            "model",
            "serial_number",
            "channels",
            *Instrument.ACCURACY_FIELDS,
            "notes",
        ]


class TestProtocolForm(CatalogForm):
    """Protocol with one input per known parameter; each kind requires its own set."""

    class Meta:
        model = TestProtocol
        fields = ["project", "label", "name", "kind", "description", "notes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        prefs = kwargs.get("unit_preferences") or {}
        super().__init__(*args, **kwargs)
        params = self.instance.parameters or {}
        for key, p in PARAMETERS.items():
            required_for = [k for k, pk in PROTOCOL_KINDS.items() if key in pk.required]
            help_text = (
                "required for: " + ", ".join(k.replace("_", " ") for k in required_for)
                if required_for
                else "optional"
            )
            name = f"param_{key}"
            initial = params.get(key)
            if p.quantity == "list":
                f: forms.Field = forms.CharField(
                    required=False, label=p.label.capitalize(), help_text=help_text
                )
                if initial:
                    f.initial = ", ".join(f"{v:g}" for v in initial)
            elif p.quantity in KINDS:
                f = QuantityField(p.quantity, required=False, label=p.label.capitalize())
                f.help_text = f"{help_text}; {f.help_text}"
                f.preferred_unit = prefs.get(p.quantity)
                f.initial = initial
            else:
                f = forms.FloatField(
                    required=False, label=p.label.capitalize(), help_text=help_text
                )
                f.initial = initial
            self.fields[name] = f

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        params: dict[str, Any] = {}
        for key, p in PARAMETERS.items():
            value = data.get(f"param_{key}")
            if value in (None, ""):
                continue
            if p.quantity == "list":
                try:
                    params[key] = [
                        float(v) for v in str(value).replace(";", ",").split(",") if v.strip()
                    ]
                except ValueError:
                    self.add_error(
                        f"param_{key}", "a comma-separated list of numbers, e.g. 0.1, 0.2, 0.5, 1"
                    )
                    continue
            else:
                params[key] = value
        self.instance.parameters = params
        return data

    def _update_errors(self, errors: forms.ValidationError) -> None:
        # TestProtocol.clean reports parameter errors under "parameters" as "key: message";
        # show each at its own input.
        if hasattr(errors, "error_dict") and "parameters" in errors.error_dict:
            for error in errors.error_dict.pop("parameters"):
                for message in error.messages:
                    key, _, text = message.partition(": ")
                    target = f"param_{key}" if f"param_{key}" in self.fields else None
                    self.add_error(target, text if target else message)
            if not errors.error_dict:
                return
        super()._update_errors(errors)


class TestRunForm(CatalogForm):
    __test__ = False

    class Meta:
        model = TestRun
        fields = [
            "project",
            "label",
            "cell",
            "electrode_batch",
            "protocol",
            "instrument",
            "channel",
            "after_cycles",
            "started_at",
            "status",
            "operator",
            "notes",
        ]
        widgets = {"started_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}
        labels = {"after_cycles": "EIS taken after N cycles"}
        help_texts = {
            "after_cycles": "for an EIS protocol run after cycling: the cycles the cell had "
            "(required; an in-situ EIS protocol has none)"
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        protocol, cell = data.get("protocol"), data.get("cell")
        if (
            protocol is not None
            and cell is not None
            and protocol.kind == TestProtocol.Kind.EIS
            and data.get("after_cycles") is None
        ):
            self.add_error(
                "after_cycles",
                "EIS after cycling: say after how many cycles it was taken (for EIS during "
                "cycling choose an in-situ EIS protocol)",
            )
        return data


class BulkImportForm(forms.Form):
    project = forms.ModelChoiceField(queryset=Project.objects.none())
    file = forms.FileField(help_text="CSV or XLSX, with the columns of the template")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        projects = projects_for(user)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
        if projects.count() == 1:
            self.fields["project"].initial = projects.first()


__all__ = [
    "BulkImportForm",
    "CellForm",
    "ComponentFormSet",
    "ElectrodeBatchForm",
    "FormulationForm",
    "InstrumentForm",
    "MaterialForm",
    "MaterialLotForm",
    "TestProtocolForm",
    "TestRunForm",
    "UnitError",
    "format_quantity",
    "parse_quantity",
]
