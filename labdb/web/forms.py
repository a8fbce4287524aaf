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
    FormulationComponent,
    Instrument,
    Material,
    MaterialLot,
    ProcessStep,
    Project,
    TestProtocol,
    TestRun,
)
from labdb.models.quantities import quantity_fields, quantity_kind
from labdb.protocols import PARAMETERS, PROTOCOL_KINDS
from labdb.selectors.access import colleagues_of, projects_for, visible
from labdb.units import KINDS, UnitError, format_quantity, parse_quantity
from labdb.web.fields import QuantityField

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


class MaterialLotForm(CatalogForm):
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One optional field per category-specific property; only those of the chosen
        # material's category may be filled (checked in MaterialLot.clean).
        props = self.instance.properties or {}
        for category, spec in LOT_PROPERTIES.items():
            for key, (label, kind, choices) in spec.items():
                name = f"prop_{key}"
                if name in self.fields:
                    continue
                help_text = f"for {Material.Category(category).label} lots"
                if kind:
                    f: forms.Field = QuantityField(kind, required=False, label=label.capitalize())
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
                f.help_text = help_text
                f.initial = props.get(key)
                self.fields[name] = f

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        properties = {}
        for name, value in list(data.items()):
            if name.startswith("prop_") and value not in (None, ""):
                properties[name.removeprefix("prop_")] = value
        self.instance.properties = properties
        return data


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


class ComponentForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = FormulationComponent
        fields = ["lot", "role", "mass_fraction_pct"]


class ComponentFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user is None:  # the admin (staff) sees every lot
            return
        lots = visible(MaterialLot, user).select_related("material")
        for form in self.forms:
            form.fields["lot"].queryset = lots  # type: ignore[attr-defined]

    def clean(self) -> None:
        super().clean()
        total = 0.0
        count = 0
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            if form.cleaned_data.get("lot") is None:
                continue
            count += 1
            total += form.cleaned_data.get("mass_fraction_pct") or 0.0
        if count == 0:
            raise forms.ValidationError("a formulation needs at least one component")
        if abs(total - 100.0) > 0.01:
            raise forms.ValidationError(
                f"mass fractions sum to {total:.4g} wt%; they must sum to 100 wt% (within 0.01)"
            )


ComponentFormSetFactory = forms.inlineformset_factory(
    Formulation,
    FormulationComponent,
    form=ComponentForm,
    formset=ComponentFormSet,
    extra=2,
    can_delete=True,
)


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


#: The fields of a process step a user enters (Django's inline formset appends the foreign key
#: to the form's Meta.fields list at run time, so views use this tuple instead).
STEP_FIELDS = (
    "kind",
    "method",
    "gap_um",
    "temperature_c",
    "duration_h",
    "atmosphere",
    "pressure_mpa",
    "speed_rpm",
    "notes",
)


class ProcessStepForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ProcessStep
        fields = list(STEP_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, kind in quantity_fields(ProcessStep).items():
            label = _strip_unit(str(ProcessStep._meta.get_field(name).verbose_name)).capitalize()
            self.fields[name] = QuantityField(kind, required=False, label=label, help_text="")


class ProcessStepFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


ProcessStepFormSetFactory = forms.inlineformset_factory(
    ElectrodeBatch,
    ProcessStep,
    form=ProcessStepForm,
    formset=ProcessStepFormSet,
    extra=2,
    can_delete=True,
)


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
            "started_at",
            "status",
            "operator",
            "notes",
        ]
        widgets = {"started_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}


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
    "ComponentFormSetFactory",
    "ElectrodeBatchForm",
    "FormulationForm",
    "InstrumentForm",
    "MaterialForm",
    "MaterialLotForm",
    "ProcessStepFormSetFactory",
    "TestProtocolForm",
    "TestRunForm",
    "UnitError",
    "format_quantity",
    "parse_quantity",
]
