"""API keys (made, revoked, audited) and the failed-authentication counter shared by every
web process.

Keys: see :mod:`labdb.models.tokens`. The failure counter is a row per client address in the
database (:class:`~labdb.models.tokens.AuthFailureWindow`), so that the throttle holds across
gunicorn workers and hosts with no cache to configure, as django-axes does for web logins; it is
written only on failures and read once per token request (a primary-key lookup).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from labdb import models as m
from labdb.models.tokens import KEY_PREFIX, PREFIX_CHARS, key_hash
from labdb.selectors.access import projects_for
from labdb.services.audit import audit


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


def _window_start() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.LABDB_AUTH_FAILURE_WINDOW_S)


def auth_failures(ip: str) -> int:
    """Failed token attempts from ``ip`` in the current window."""
    row = (
        m.AuthFailureWindow.objects.filter(ip=ip, started_at__gt=_window_start())
        .values_list("count", flat=True)
        .first()
    )
    return int(row or 0)


def auth_failure_record(ip: str) -> None:
    """Count one failed attempt from ``ip``: +1 in its window, or a new window from now.

    Atomic in the database (``UPDATE ... SET count = count + 1``), so concurrent failures in
    several processes are all counted; a race to open the window is settled by the unique
    address."""
    now = timezone.now()
    windows = m.AuthFailureWindow.objects.filter(ip=ip)
    if windows.filter(started_at__gt=_window_start()).update(count=F("count") + 1):
        return
    if windows.update(started_at=now, count=1):  # the old window had passed
        return
    try:
        with transaction.atomic():
            m.AuthFailureWindow.objects.create(ip=ip, started_at=now, count=1)
    except IntegrityError:  # another process opened it first
        windows.update(count=F("count") + 1)


def auth_failures_prune() -> int:
    """Delete the windows that have passed (the periodic sweep calls this)."""
    deleted, _ = m.AuthFailureWindow.objects.filter(started_at__lte=_window_start()).delete()
    return deleted
