"""Creating and editing catalog records, with validation and history.

Every write of a catalog record goes through :func:`record_save` (or one of the entity
services built on it), so that validation and the change history cannot be skipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction

from labdb.models import (
    MASS_FRACTION_TOLERANCE_PCT,
    CatalogRecord,
    ElectrodeBatch,
    Formulation,
    FormulationComponent,
    HistoryEntry,
    MaterialLot,
    ProcessStep,
)
from labdb.models.quantities import quantity_fields
from labdb.services.history import history_record, snapshot
from labdb.units import format_quantity

R = TypeVar("R", bound=CatalogRecord)


@transaction.atomic
def record_save(
    *,
    record: R,
    user: Any,
    action: str | None = None,
    save_children: Callable[[R], dict[str, list[Any]]] | None = None,
) -> R:
    """Validate and save ``record``, appending one history entry for the change.

    ``save_children(record)`` runs after the save (when the record has its key) to write
    dependent rows (components, process steps); it returns their changes as
    ``{name: [before, after]}`` for the same history entry.
    """
    creating = record._state.adding
    before = None
    if not creating:
        before = snapshot(type(record)._default_manager.get(pk=record.pk))
    elif getattr(user, "is_authenticated", False) and record.created_by_id is None:
        record.created_by = user
    record.full_clean()
    record.save()
    extra = save_children(record) if save_children is not None else None
    history_record(
        record=record,
        action=action or (HistoryEntry.Action.CREATED if creating else HistoryEntry.Action.UPDATED),
        user=user,
        before=before,
        extra=extra,
    )
    return record


# --- formulations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentSpec:
    lot: MaterialLot
    role: str
    mass_fraction_pct: float


def validate_components(components: Sequence[ComponentSpec], *, project_id: Any) -> None:
    """Components must be distinct lots of the project with fractions summing to 100 wt%."""
    if not components:
        raise ValidationError({"components": "a formulation needs at least one component"})
    errors: list[str] = []
    seen: set[Any] = set()
    for i, c in enumerate(components, start=1):
        if c.lot.project_id != project_id:
            errors.append(f"component {i}: lot {c.lot.label} belongs to another project")
        if c.lot.pk in seen:
            errors.append(f"component {i}: lot {c.lot.label} is listed twice")
        seen.add(c.lot.pk)
        if not (math.isfinite(c.mass_fraction_pct) and 0 < c.mass_fraction_pct <= 100):
            errors.append(f"component {i}: mass fraction must be above 0 and at most 100 wt%")
    total = sum(c.mass_fraction_pct for c in components)
    if abs(total - 100.0) > MASS_FRACTION_TOLERANCE_PCT:
        errors.append(
            f"mass fractions sum to {total:.4g} wt%; they must sum to 100 wt% "
            f"(within {MASS_FRACTION_TOLERANCE_PCT})"
        )
    if errors:
        raise ValidationError({"components": errors})


def _components_snapshot(formulation: Formulation) -> list[list[Any]]:
    return [
        [c.lot.label, c.role, c.mass_fraction_pct]
        for c in formulation.components.select_related("lot").order_by("id")
    ]


@transaction.atomic
def formulation_save(
    *, formulation: Formulation, components: Sequence[ComponentSpec], user: Any
) -> Formulation:
    """Create or edit a formulation version.

    A version already used by an electrode batch is frozen: the edit becomes a new version
    (``version + 1``, linked by ``previous_version``) and the old one stays as it was.

    The version is assigned, never typed: a new formulation whose ``name`` the project already
    has becomes that name's next version (``version`` = newest + 1, ``previous_version`` = the
    newest), whatever version it was given; a new name starts at version 1.
    """
    validate_components(components, project_id=formulation.project_id)
    if formulation._state.adding:
        latest = (
            Formulation.objects.select_for_update()
            .filter(project_id=formulation.project_id, name=formulation.name)
            .order_by("-version")
            .first()
        )
        formulation.version = 1 if latest is None else latest.version + 1
        formulation.previous_version = latest
    else:
        stored = Formulation.objects.get(pk=formulation.pk)
        if stored.is_frozen:
            return _formulation_new_version(
                stored=stored, edited=formulation, components=components, user=user
            )
    before_components = [] if formulation._state.adding else _components_snapshot(formulation)

    def save_components(saved: Formulation) -> dict[str, list[Any]]:
        saved.components.all().delete()
        FormulationComponent.objects.bulk_create(
            FormulationComponent(
                formulation=saved, lot=c.lot, role=c.role, mass_fraction_pct=c.mass_fraction_pct
            )
            for c in components
        )
        after = _components_snapshot(saved)
        return {"components": [before_components, after]} if after != before_components else {}

    return record_save(record=formulation, user=user, save_children=save_components)


def _formulation_new_version(
    *,
    stored: Formulation,
    edited: Formulation,
    components: Sequence[ComponentSpec],
    user: Any,
) -> Formulation:
    latest = (
        Formulation.objects.filter(project=stored.project, name=stored.name)
        .order_by("-version")
        .first()
    )
    assert latest is not None
    if latest.pk != stored.pk and not latest.is_frozen:
        raise ValidationError(
            {"__all__": f"{latest.label} is a newer, unfrozen version of {stored.name}: edit that"}
        )
    version = latest.version + 1
    new = Formulation(
        project=stored.project,
        name=stored.name,
        version=version,
        label=f"{stored.name} v{version}",
        solvent_lot=edited.solvent_lot,
        solids_content_pct=edited.solids_content_pct,
        target_thickness_um=edited.target_thickness_um,
        notes=edited.notes,
        previous_version=latest,
    )
    return formulation_save(formulation=new, components=components, user=user)


# --- electrode batches ----------------------------------------------------------------------


@transaction.atomic
def batch_save(
    *, batch: ElectrodeBatch, steps: Sequence[dict[str, Any]] | None, user: Any
) -> ElectrodeBatch:
    """Create or edit an electrode batch with its ordered process steps.

    ``steps`` (each a dict of ProcessStep fields, in order) replaces the batch's steps; ``None``
    leaves them unchanged. Each step is validated for its kind.
    """
    built: list[ProcessStep] = []
    if steps is not None:
        errors: list[str] = []
        for i, data in enumerate(steps, start=1):
            step = ProcessStep(batch=batch, order=i, **data)
            try:
                step.full_clean(exclude=["batch"])
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    errors.extend(f"step {i} ({step.kind}), {field}: {m}" for m in messages)
            built.append(step)
        if errors:
            raise ValidationError({"steps": errors})
    before_steps = [] if batch._state.adding else [_step_text(s) for s in batch.steps.all()]

    def save_steps(saved: ElectrodeBatch) -> dict[str, list[Any]]:
        if steps is None:
            return {}
        saved.steps.all().delete()
        for step in built:
            step.batch = saved
        ProcessStep.objects.bulk_create(built)
        after = [_step_text(s) for s in built]
        return {"steps": [before_steps, after]} if after != before_steps else {}

    return record_save(record=batch, user=user, save_children=save_steps)


def _step_text(step: ProcessStep) -> str:
    """A process step as one line for the history, e.g. '2. drying: 80 degC, 12 h, vacuum'."""
    parts = [step.method] if step.method else []
    for field, kind in quantity_fields(step).items():
        value = getattr(step, field)
        if value is not None:
            parts.append(format_quantity(value, kind))
    if step.atmosphere:
        parts.append(step.atmosphere)
    return f"{step.order}. {step.kind}: {', '.join(parts)}"
