"""Form fields for quantities with units."""

from __future__ import annotations

from typing import Any

from django import forms

from labdb.units import KINDS, UnitError, format_quantity, parse_quantity, unit_used


class QuantityField(forms.CharField):
    """A text input taking a number with a unit ("800 nm", "0.8 um"); cleans to the canonical
    value of its quantity kind. A bare number is read in the user's preferred unit."""

    def __init__(self, kind: str, *args: Any, **kwargs: Any) -> None:
        self.kind = kind
        self.preferred_unit: str | None = None
        qk = KINDS[kind]
        kwargs.setdefault(
            "help_text", f"with a unit: {', '.join(qk.accepted)} (stored in {qk.accepted[0]})"
        )
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.widget.attrs.setdefault("placeholder", f"e.g. 5 {qk.accepted[0]}")

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
                text, self.kind, field=str(self.label or "value"), default_unit=self.preferred_unit
            )
        except UnitError as exc:
            raise forms.ValidationError(str(exc).split(": ", 1)[-1]) from exc

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(data) != (float(initial) if initial is not None else None)
        except forms.ValidationError:
            return True


def remember_units(form: forms.BaseForm, profile_prefs: dict[str, str]) -> bool:
    """Store the units a user typed in ``form`` as their preferences; True if any changed."""
    changed = False
    for name, field in form.fields.items():
        if isinstance(field, QuantityField):
            unit = unit_used(str(form.data.get(form.add_prefix(name), "")))
            if unit and profile_prefs.get(field.kind) != unit:
                profile_prefs[field.kind] = unit
                changed = True
    return changed
