"""``/batches/<key>/cells/``: "create N cells" from an electrode batch's page, in one step."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from labdb import models as m
from labdb.selectors.access import get_visible, visible
from labdb.services.cells import MAX_CELLS, cells_create_from_batch
from labdb.web.entities import url_for


class BatchCellsForm(forms.Form):
    count = forms.IntegerField(label="Number of cells", min_value=1, max_value=MAX_CELLS, initial=3)
    label_prefix = forms.CharField(label="Label prefix", max_length=100)
    kind = forms.ChoiceField(label="Cell kind", choices=m.Cell.Kind.choices)
    counter_lot = forms.ModelChoiceField(
        label="Lithium (half cell) or cathode (full cell) lot",
        queryset=m.MaterialLot.objects.none(),
    )
    electrolyte_lot = forms.ModelChoiceField(
        label="Solid-electrolyte lot", queryset=m.MaterialLot.objects.none()
    )
    area_cm2 = forms.FloatField(label="Area (cm²)", min_value=0.0001)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lots = visible(m.MaterialLot, user).select_related("material")
        self.fields["counter_lot"].queryset = lots.filter(  # type: ignore[attr-defined]
            material__category__in=["lithium_metal", "cathode_active"]
        )
        self.fields["electrolyte_lot"].queryset = lots.filter(  # type: ignore[attr-defined]
            material__category="solid_electrolyte"
        )


@login_required
@require_POST
def batch_cells_create(request: HttpRequest, key: str) -> HttpResponse:
    batch = get_visible(m.ElectrodeBatch, request.user, key)
    form = BatchCellsForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(
            request,
            "No cells made: "
            + "; ".join(
                f"{form.fields[k].label if k in form.fields else k}: {' '.join(v)}"
                for k, v in form.errors.items()
            ),
        )
        return redirect(url_for(batch))
    try:
        cells = cells_create_from_batch(batch=batch, user=request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, "No cells made: " + " ".join(exc.messages))
        return redirect(url_for(batch))
    messages.success(request, f"Made {len(cells)} cells: {', '.join(c.label for c in cells)}.")
    return redirect("/cells/?q=" + form.cleaned_data["label_prefix"].strip())
