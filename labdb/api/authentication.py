"""``Authorization: Token <key>`` for scripts and instruments, with failed attempts throttled
per client address, and the login-lockout backend of the web login.

Anonymous API requests answer 401 (not 403) because :class:`TokenAuthentication` is the first
authentication class and names its scheme in ``WWW-Authenticate``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from labdb import models as m
from labdb.models.tokens import key_hash
from labdb.services.tokens import auth_failure_record, auth_failures

#: last_used_at is written at most this often per token (not on every request).
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def client_ip(request: Any) -> str:
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


class AuthFailuresThrottled(exceptions.Throttled):
    default_detail = "Too many failed authentication attempts from this address."


class TokenAuthentication(BaseAuthentication):
    """Authenticate ``Authorization: Token <key>`` against the hashed keys.

    A wrong, expired or revoked key answers 401 and counts as a failure for the client
    address; after ``LABDB_AUTH_FAILURE_LIMIT`` failures within the window every token attempt
    from that address answers 429 until the window passes, whether the key is right or not
    (so the throttle cannot be used to test guesses). The counter is in the database
    (:func:`labdb.services.tokens.auth_failure_record`), shared by every web process.
    """

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, m.ApiToken] | None:
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() not in (b"token", b"bearer"):
            return None
        ip = client_ip(request)
        limit = settings.LABDB_AUTH_FAILURE_LIMIT
        if auth_failures(ip) >= limit:
            raise AuthFailuresThrottled(wait=settings.LABDB_AUTH_FAILURE_WINDOW_S)
        if len(auth) != 2:
            auth_failure_record(ip)
            raise exceptions.AuthenticationFailed("Malformed Authorization header: 'Token <key>'.")
        try:
            key = auth[1].decode("ascii")
        except UnicodeDecodeError as exc:
            auth_failure_record(ip)
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        token = (
            m.ApiToken.objects.select_related("user", "instrument")
            .filter(key_sha256=key_hash(key))
            .first()
        )
        now = timezone.now()
        if token is None:
            auth_failure_record(ip)
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.revoked_at is not None:
            auth_failure_record(ip)
            raise exceptions.AuthenticationFailed("This token was revoked.")
        if token.expires_at is not None and token.expires_at <= now:
            auth_failure_record(ip)
            raise exceptions.AuthenticationFailed("This token has expired.")
        if not token.user.is_active:
            auth_failure_record(ip)
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
