"""API tokens for scripts and instruments: hashed, scoped, expiring, revocable.

The key is shown once, when it is made; the database keeps only its sha256. A key is 256 bits
from :mod:`secrets`, so a fast hash is enough: a slow password hash (PBKDF2, argon2) protects
low-entropy secrets against guessing, which a random 256-bit key does not need, and it would
cost tens of milliseconds on every API request. The hash is looked up by equality on a unique
index, so checking a key never compares secrets byte by byte in Python (no timing oracle).
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

#: Every key starts with this, so that a leaked key is recognisable (secret scanners, logs).
KEY_PREFIX = "ldb_"
#: Characters of the key kept in clear to tell tokens apart in lists and logs.
PREFIX_CHARS = 12


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", "read: GET everything the user may see"
        UPLOAD = "upload", "upload: create test runs, upload files, read runs, files and jobs"
        READ_WRITE = "read-write", "read-write: everything the user may do"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120, help_text="what the token is for, e.g. 'BCS PC'")
    prefix = models.CharField(max_length=PREFIX_CHARS, db_index=True)
    key_sha256 = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=20, choices=Scope.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="the token acts as this user, within this user's projects",
    )
    instrument = models.ForeignKey(
        "labdb.Instrument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="api_tokens",
        help_text="an instrument's key: its runs and uploads are on this instrument only",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def label(self) -> str:
        return str(self)

    def is_active(self, now: object = None) -> bool:
        now = now or timezone.now()
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now  # type: ignore[operator]

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        return "active"


class AuthFailureWindow(models.Model):
    """Failed API authentication attempts from one client address in the current window.

    One row per address, shared by every web process (the throttle of
    :class:`labdb.api.authentication.TokenAuthentication`); a passed window is reset on the
    next failure and deleted by the periodic sweep."""

    ip = models.CharField(max_length=64, primary_key=True)
    started_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "API authentication failure window"

    def __str__(self) -> str:
        return f"{self.ip}: {self.count} since {self.started_at:%Y-%m-%d %H:%M:%S}"
