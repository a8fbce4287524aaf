"""Writes of the REST API: test runs created by instruments and scripts, and catalog records
written through the API (API keys are :mod:`labdb.services.tokens`)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from labdb import models as m
from labdb.services.catalog import record_save


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "run"


@transaction.atomic
def test_run_create(
    *,
    user: Any,
    cell: m.Cell | None,
    electrode_batch: m.ElectrodeBatch | None,
    protocol: m.TestProtocol,
    instrument: m.Instrument | None,
    channel: str = "",
    label: str = "",
    started_at: dt.datetime | None = None,
    status: str = m.TestRun.Status.PLANNED,
    notes: str = "",
) -> m.TestRun:
    """Create a test run through the catalog service (validation and history). Without a
    label it is ``<cell or batch>-<protocol>-<n>`` with the first free ``n``."""
    subject = cell if cell is not None else electrode_batch
    if subject is None:
        raise ValidationError({"cell": "a test run is on a cell or an electrode batch"})
    base = f"{_slug(subject.label)}-{_slug(protocol.label)}"
    # labels are unique per project: another project's runs are neither counted nor revealed
    runs = m.TestRun.objects.filter(project=subject.project)
    for attempt in range(1, 10_000):
        run = m.TestRun(
            project=subject.project,
            label=label or f"{base}-{runs.filter(label__startswith=base).count() + attempt}",
            cell=cell,
            electrode_batch=electrode_batch,
            protocol=protocol,
            instrument=instrument,
            channel=channel,
            started_at=started_at,
            status=status,
            notes=notes,
            operator=user if getattr(user, "is_authenticated", False) else None,
        )
        if label or not runs.filter(label=run.label).exists():
            break
    try:
        with transaction.atomic():
            return record_save(record=run, user=user)
    except IntegrityError as exc:
        raise ValidationError({"label": f"a test run {run.label!r} already exists"}) from exc


def record_write(
    *, model: type[m.CatalogRecord], instance: Any, data: dict[str, Any], user: Any
) -> Any:
    """Create (``instance`` None) or edit a catalog record from validated API data, through the
    catalog services: formulations with their components (a frozen version gets a new
    version), electrode batches with their steps, everything else through ``record_save``."""
    from labdb.services.catalog import ComponentSpec, batch_save, formulation_save

    data = dict(data)
    components = data.pop("components", None)
    steps = data.pop("steps", None)
    record = instance if instance is not None else model()
    for key, value in data.items():
        setattr(record, key, value)
    if isinstance(record, m.Formulation):
        if components is None:
            specs = [
                ComponentSpec(lot=c.lot, role=c.role, mass_fraction_pct=c.mass_fraction_pct)
                for c in record.components.select_related("lot")
            ]
        else:
            specs = [ComponentSpec(**c) for c in components]
        return formulation_save(formulation=record, components=specs, user=user)
    if isinstance(record, m.ElectrodeBatch):
        return batch_save(batch=record, steps=steps, user=user)
    return record_save(record=record, user=user)
