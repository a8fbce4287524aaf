"""Writes the API, the token page and ``create_token`` share: API tokens and test runs created
by instruments. (They live here, next to their only callers, until ``labdb/services`` grows a
``tokens`` module.)"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from labdb import models as m
from labdb.models.tokens import KEY_PREFIX, PREFIX_CHARS, key_hash
from labdb.selectors.access import projects_for
from labdb.services.audit import audit
from labdb.services.catalog import record_save


@dataclass(frozen=True)
class NewToken:
    token: m.ApiToken
    #: The clear key: shown to the user once, never stored.
    key: str


def _audit_token(token: m.ApiToken, *, action: str, user: Any, details: dict[str, Any]) -> None:
    """One audit entry in each project the token can reach, so every project's trail shows
    the keys that can read or write it."""
    projects = list(projects_for(token.user))
    if token.instrument_id and token.instrument.project not in projects:
        projects.append(token.instrument.project)
    for project in projects:
        audit(project=project, action=action, user=user, target=token, details=details)


@transaction.atomic
def token_create(
    *,
    user: Any,
    name: str,
    scope: str,
    instrument: m.Instrument | None = None,
    expires_in: dt.timedelta | None = None,
    created_by: Any = None,
) -> NewToken:
    """Make a key for ``user``; returns the clear key (the only time it exists)."""
    if scope not in m.ApiToken.Scope.values:
        raise ValidationError(
            {"scope": f"unknown scope {scope!r}; expected one of {', '.join(m.ApiToken.Scope)}"}
        )
    name = name.strip()
    if not name:
        raise ValidationError({"name": "give the token a name that says what it is for"})
    if instrument is not None and not projects_for(user).filter(pk=instrument.project_id).exists():
        raise ValidationError(
            {"instrument": f"{user} is not a member of {instrument.label}'s project"}
        )
    if expires_in is not None and expires_in <= dt.timedelta(0):
        raise ValidationError({"expires_at": "the expiry must be in the future"})
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = m.ApiToken.objects.create(
        name=name[:120],
        prefix=key[:PREFIX_CHARS],
        key_sha256=key_hash(key),
        scope=scope,
        user=user,
        instrument=instrument,
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
        expires_at=timezone.now() + expires_in if expires_in is not None else None,
    )
    _audit_token(
        token,
        action="token.created",
        user=created_by,
        details={
            "prefix": token.prefix,
            "scope": scope,
            "for_user": str(user),
            "instrument": instrument.label if instrument else None,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        },
    )
    return NewToken(token, key)


@transaction.atomic
def token_revoke(*, token: m.ApiToken, user: Any) -> m.ApiToken:
    """Revoke ``token`` now (idempotent: revoking again changes nothing)."""
    updated = m.ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db()
    if updated:
        _audit_token(
            token,
            action="token.revoked",
            user=user,
            details={"prefix": token.prefix, "scope": token.scope, "for_user": str(token.user)},
        )
    return token


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
    for attempt in range(1, 10_000):
        run = m.TestRun(
            project=subject.project,
            label=label
            or f"{base}-{m.TestRun.objects.filter(label__startswith=base).count() + attempt}",
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
        if label or not m.TestRun.objects.filter(label=run.label).exists():
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
