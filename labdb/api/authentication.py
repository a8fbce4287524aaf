"""``Authorization: Token <key>`` for scripts and instruments, with failed attempts throttled
per client address and presented key prefix, and the login-lockout backend of the web login.

Anonymous API requests answer 401 (not 403) because :class:`TokenAuthentication` is the first
authentication class and names its scheme in ``WWW-Authenticate``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from labdb import models as m
from labdb.models.tokens import PREFIX_CHARS, key_hash
from labdb.services.tokens import auth_failure_record, auth_failures

#: last_used_at is written at most this often per token (not on every request).
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: Any) -> str:
    """The client's address: from ``LABDB_TRUSTED_PROXY_HEADER`` when one is configured (the
    ``LABDB_TRUSTED_PROXY_COUNT``-th entry from the right of a comma-separated list, as each
    trusted proxy appends the address it saw), else the connection's (REMOTE_ADDR). A missing
    or malformed header falls back to the connection's address. The web login lockout sees the
    same client (:func:`login_client_ip`)."""
    remote = str(request.META.get("REMOTE_ADDR", "") or "unknown")
    header = settings.LABDB_TRUSTED_PROXY_HEADER
    if not header:
        return remote
    raw = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
    entries = [e for e in str(raw).split(",") if e.strip()]
    count = max(1, settings.LABDB_TRUSTED_PROXY_COUNT)
    if len(entries) < count:
        return remote
    return _address(entries[-count]) or remote


def login_client_ip(request: Any) -> str | None:
    """:func:`client_ip` for django-axes (``AXES_CLIENT_IP_CALLABLE``), which stores it in an
    IP address column: None when the request has no valid address (e.g. a login made by code,
    with no connection), as axes' own resolver answers."""
    return _address(client_ip(request))


class AuthFailuresThrottled(exceptions.Throttled):
    default_detail = "Too many failed authentication attempts from this address."


def failure_buckets(ip: str, key: str) -> tuple[str, str]:
    """The two failure counters an attempt with ``key`` from ``ip`` counts in: the address's
    (every prefix) and the address's for this key prefix (rows of AuthFailureWindow, whose
    64-character key holds an IPv6 address, a space and a 12-character prefix)."""
    return ip, f"{ip} {key[:PREFIX_CHARS]}"


class TokenAuthentication(BaseAuthentication):
    """Authenticate ``Authorization: Token <key>`` against the hashed keys.

    A wrong, expired or revoked key answers 401 and counts as a failure of the client address
    (:func:`client_ip`) and of the key's prefix (its first 12 characters) from that address.
    Two limits within ``LABDB_AUTH_FAILURE_WINDOW_S``:

    - ``LABDB_AUTH_FAILURE_LIMIT`` failures at one prefix from one address: every attempt at
      that prefix from that address answers 429 until the window passes, right key or not (so
      the answer tells a guesser nothing); other keys from the same address are not affected
      (a lab behind one NAT address, clients behind the reverse proxy);
    - ``LABDB_AUTH_FAILURE_ADDRESS_LIMIT`` failures from one address, any prefixes: a wrong
      key from that address answers 429 and is no longer counted, a valid key still passes
      (guessing a 256-bit key is hopeless; this bounds the counter rows and tells a spraying
      client to stop).

    The counters are rows in the database (:func:`labdb.services.tokens.auth_failure_record`),
    shared by every web process.
    """

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, m.ApiToken] | None:
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() not in (b"token", b"bearer"):
            return None
        key = auth[1].decode("ascii", errors="replace") if len(auth) == 2 else ""
        address_bucket, prefix_bucket = failure_buckets(client_ip(request), key)
        if auth_failures(prefix_bucket) >= settings.LABDB_AUTH_FAILURE_LIMIT:
            raise AuthFailuresThrottled(wait=settings.LABDB_AUTH_FAILURE_WINDOW_S)
        try:
            return self._check(auth)
        except exceptions.AuthenticationFailed:
            if auth_failures(address_bucket) >= settings.LABDB_AUTH_FAILURE_ADDRESS_LIMIT:
                raise AuthFailuresThrottled(wait=settings.LABDB_AUTH_FAILURE_WINDOW_S) from None
            auth_failure_record(address_bucket)
            auth_failure_record(prefix_bucket)
            raise

    def _check(self, auth: list[bytes]) -> tuple[Any, m.ApiToken]:
        if len(auth) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: 'Token <key>'.")
        try:
            key = auth[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        token = (
            m.ApiToken.objects.select_related("user", "instrument")
            .filter(key_sha256=key_hash(key))
            .first()
        )
        now = timezone.now()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token was revoked.")
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed("This token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is inactive.")
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            m.ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class LoginLockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for logins that come with a request (the web login form).

    Authentication without a request (``manage.py`` commands, the test client's ``login``)
    has no client to lock out, so it is left to the next backend instead of failing.
    """

    def authenticate(  # type: ignore[override]
        self, request: Any, username: str | None = None, password: str | None = None, **kw: Any
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kw)  # type: ignore[no-any-return]
