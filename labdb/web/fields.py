"""Form fields for quantities with units."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html

from labdb.units import KINDS, UnitError, format_quantity, parse_quantity, unit_used


class QuantityInput(forms.TextInput):
    """A text input followed by the unit a bare number is read in (shown beside it, so what a
    person sees is what is stored)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit = ""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> str:
        attrs = dict(attrs or {})
        unit_id = f"{attrs.get('id') or name}_unit"
        described = " ".join(x for x in (attrs.get("aria-describedby", ""), unit_id) if x)
        attrs["aria-describedby"] = described
        attrs["data-unit"] = self.unit
        html = super().render(name, value, attrs, renderer)
        return format_html(
            '<span class="quantity">{}<span class="unit" id="{}" title="a number without a '
            'unit is stored in {}">{}</span></span>',
            html,
            unit_id,
            self.unit,
            self.unit,
        )


class QuantityField(forms.CharField):
    """A text input taking a number with a unit ("800 nm", "0.8 um"); cleans to the canonical
    value of its quantity kind. A bare number is read in the unit shown beside the input: the
    person's preferred unit of that kind, else the canonical unit."""

    widget = QuantityInput

    def __init__(self, kind: str, *args: Any, **kwargs: Any) -> None:
        self.kind = kind
        self._preferred_unit: str | None = None
        self._custom_help = "help_text" in kwargs
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        self._show_unit()

    @property
    def shown_unit(self) -> str:
        """The unit beside the input: a bare number is read in it."""
        return self._preferred_unit or KINDS[self.kind].unit

    @property
    def preferred_unit(self) -> str | None:
        return self._preferred_unit

    @preferred_unit.setter
    def preferred_unit(self, unit: str | None) -> None:
        self._preferred_unit = unit if unit in KINDS[self.kind].accepted else None
        self._show_unit()

    def _show_unit(self) -> None:
        qk = KINDS[self.kind]
        unit = self.shown_unit
        if isinstance(self.widget, QuantityInput):
            self.widget.unit = unit
        self.widget.attrs["placeholder"] = f"e.g. 5 {unit}"
        if not self._custom_help:
            self.help_text = (
                f"a number without a unit is in {unit}; other units: "
                f"{', '.join(u for u in qk.accepted if u != unit)}"
            )

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return format_quantity(float(value), self.kind, self.preferred_unit)
        return value

    def to_python(self, value: Any) -> float | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return parse_quantity(
                text, self.kind, field=str(self.label or "value"), default_unit=self.shown_unit
            )
        except UnitError as exc:
            raise forms.ValidationError(str(exc).split(": ", 1)[-1]) from exc

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(data) != (float(initial) if initial is not None else None)
        except forms.ValidationError:
            return True


def remember_units(form: forms.BaseForm, profile_prefs: dict[str, str]) -> bool:
    """Store the units a user typed in ``form`` as their display preferences; True if any
    changed. Only what this person sees changes: values are stored in canonical units."""
    changed = False
    for name, field in form.fields.items():
        if isinstance(field, QuantityField):
            unit = unit_used(str(form.data.get(form.add_prefix(name), "")))
            if (
                unit
                and unit in KINDS[field.kind].accepted
                and profile_prefs.get(field.kind) != unit
            ):
                profile_prefs[field.kind] = unit
                changed = True
    return changed
