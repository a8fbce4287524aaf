"""The rows of a formulation (components) and of an electrode batch (process steps).

Rows are added and removed in the page (static/labdb/formsets.js clones the formset's empty
form); the live wt% total there is a convenience, the check that counts is
:meth:`ComponentFormSet.clean` here and ``validate_components`` in the catalog service.
"""

from __future__ import annotations

from typing import Any

from django import forms

from labdb.models import (
    MASS_FRACTION_TOLERANCE_PCT,
    ElectrodeBatch,
    Formulation,
    FormulationComponent,
    MaterialLot,
    ProcessStep,
)
from labdb.models.quantities import quantity_fields
from labdb.selectors.access import visible
from labdb.web.fields import QuantityField


def _strip_unit(label: str) -> str:
    import re

    return re.sub(r"\s*\([^)]*\)\s*$", "", label)


class ComponentForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = FormulationComponent
        fields = ["lot", "role", "mass_fraction_pct"]
        widgets = {
            "mass_fraction_pct": forms.NumberInput(
                attrs={"step": "any", "min": "0", "max": "100", "data-wt-fraction": ""}
            )
        }


class ComponentFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    """Components of a formulation: at least one, mass fractions summing to 100 wt% within
    :data:`~labdb.models.MASS_FRACTION_TOLERANCE_PCT`."""

    tolerance_pct = MASS_FRACTION_TOLERANCE_PCT

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def add_fields(self, form: forms.BaseForm, index: int | None) -> None:
        super().add_fields(form, index)
        if self.user is not None:  # the admin (staff) sees every lot
            lots = visible(MaterialLot, self.user).select_related("material")
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
        if abs(total - 100.0) > self.tolerance_pct:
            raise forms.ValidationError(
                f"mass fractions sum to {total:.4g} wt%; they must sum to 100 wt% "
                f"(within {self.tolerance_pct:g})"
            )


ComponentFormSetFactory = forms.inlineformset_factory(
    Formulation,
    FormulationComponent,
    form=ComponentForm,
    formset=ComponentFormSet,
    extra=2,
    can_delete=True,
)


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

    def __init__(
        self, *args: Any, unit_preferences: dict[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        prefs = unit_preferences or {}
        for name, kind in quantity_fields(ProcessStep).items():
            label = _strip_unit(str(ProcessStep._meta.get_field(name).verbose_name)).capitalize()
            qf = QuantityField(kind, required=False, label=label, help_text="")
            qf.preferred_unit = prefs.get(kind)
            self.fields[name] = qf


class ProcessStepFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    def __init__(
        self, *args: Any, unit_preferences: dict[str, str] | None = None, **kwargs: Any
    ) -> None:
        self.unit_preferences = unit_preferences or {}
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().get_form_kwargs(index)
        kwargs["unit_preferences"] = self.unit_preferences
        return kwargs


ProcessStepFormSetFactory = forms.inlineformset_factory(
    ElectrodeBatch,
    ProcessStep,
    form=ProcessStepForm,
    formset=ProcessStepFormSet,
    extra=2,
    can_delete=True,
)
