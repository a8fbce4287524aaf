"""Saving a comparison: a named, frozen set of cells with the results they have now."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from labdb.models import Cell, SavedComparison
from labdb.selectors.results import results_of_cells

#: the comparison page's settings a saved comparison keeps ("cells_named": chosen by label)
OPTION_KEYS = ("group", "kind", "seed", "binder", "cells_named")


@transaction.atomic
def comparison_save(
    *, user: Any, name: str, cells: Sequence[Cell], options: Mapping[str, str]
) -> SavedComparison:
    """Save ``cells`` (all of one project) under ``name`` with the newest result of each of
    their test runs, which the saved comparison shows from then on."""
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
    saved.results.set(results_of_cells(user, cells, None))
    return saved
