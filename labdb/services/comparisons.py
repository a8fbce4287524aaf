"""Saving a comparison: a named, frozen set of cells with the results they have now and the
acceptances of implausible values standing now; updating one deliberately (a new saved
comparison with the newest data, the old one left as it was)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from labdb.models import Cell, FlagAcceptance, SavedComparison
from labdb.selectors.results import results_of_cells
from labdb.services.audit import audit

#: the comparison page's settings a saved comparison keeps ("cells_named": chosen by label)
OPTION_KEYS = ("group", "kind", "seed", "binder", "cells_named")


@transaction.atomic
def comparison_save(
    *, user: Any, name: str, cells: Sequence[Cell], options: Mapping[str, str]
) -> SavedComparison:
    """Save ``cells`` (all of one project) under ``name`` with the newest result of each of
    their test runs and the acceptances of their implausible values standing now, which the
    saved comparison shows and counts from then on."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "a saved comparison needs a name"})
    if not cells:
        raise ValidationError({"cells": "no cells to save: choose cells or filters first"})
    projects = {c.project_id for c in cells}
    if len(projects) != 1:
        raise ValidationError({"cells": "a saved comparison holds cells of one project"})
    project = cells[0].project
    if SavedComparison.objects.filter(project=project, name=name).exists():
        raise ValidationError({"name": f"{project.label} already has a comparison named {name!r}"})
    saved = SavedComparison.objects.create(
        project=project,
        name=name,
        options={k: str(options[k]) for k in OPTION_KEYS if options.get(k)},
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    saved.cells.set(cells)
    results = results_of_cells(user, cells, None)
    saved.results.set(results)
    saved.acceptances.set(
        FlagAcceptance.objects.filter(result__in=results, withdrawn_at__isnull=True)
    )
    return saved


@transaction.atomic
def comparison_update(
    *, user: Any, saved: SavedComparison, name: str, new_cells: Sequence[Cell] = ()
) -> SavedComparison:
    """Take in the newer data deliberately: a new saved comparison ``name`` with ``saved``'s
    cells (and ``new_cells``, the matching cells added since), settings, their newest
    results and the acceptances standing now. ``saved`` stays as it was (its permanent link
    and figures do not move); the new one's history names it."""
    cells = [*saved.cells.all(), *new_cells]
    updated = comparison_save(user=user, name=name, cells=cells, options=saved.options)
    audit(
        project=updated.project,
        action="comparison.updated",
        user=user,
        target=updated,
        details={
            "from": [None, f"{saved.name} ({saved.pk})"],
            "cells": [saved.cells.count(), updated.cells.count()],
            "results": [saved.results.count(), updated.results.count()],
            "acceptances": [saved.acceptances.count(), updated.acceptances.count()],
        },
    )
    return updated
