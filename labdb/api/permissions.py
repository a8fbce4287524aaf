"""What a token's scope allows. Project membership is applied by every view's queryset (another
project's record is not found: 404); scopes decide which methods a token may use (403).

A browser session acts with the user's full rights. A token acts as its user, narrowed by scope:

``read``        safe methods (GET, HEAD, OPTIONS) on every endpoint;
``upload``      what an instrument needs: read test runs, files and jobs, create test runs and
                upload files; nothing else;
``read-write``  everything the user may do.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from labdb import models as m


def token_of(request: Request) -> m.ApiToken | None:
    return request.auth if isinstance(request.auth, m.ApiToken) else None


class TokenScope(BasePermission):
    """Views declare ``upload_read`` (True, or the actions an upload token may read) and
    ``upload_actions`` (the writing actions an upload token may call)."""

    message = "This token's scope does not allow this request."

    def has_permission(self, request: Request, view: Any) -> bool:
        token = token_of(request)
        if token is None:
            return True
        safe = request.method in SAFE_METHODS
        if token.scope == m.ApiToken.Scope.READ_WRITE:
            return True
        if token.scope == m.ApiToken.Scope.READ:
            if not safe:
                self.message = "A read token cannot write; use an upload or read-write token."
            return safe
        # upload
        action = getattr(view, "action", None)
        readable = getattr(view, "upload_read", False)
        if safe and (readable is True or (readable and action in readable)):
            return True
        if not safe and action in getattr(view, "upload_actions", ()):
            return True
        self.message = (
            "An upload token may only create test runs, upload files and read runs, files and jobs."
        )
        return False


def check_instrument_binding(request: Request, run: m.TestRun) -> None:
    """A token bound to an instrument writes only to runs on that instrument (or on none)."""
    from rest_framework.exceptions import PermissionDenied

    token = token_of(request)
    if token is None or token.instrument_id is None:
        return
    if run.instrument_id not in (None, token.instrument_id):
        raise PermissionDenied(
            f"This token is bound to instrument {token.instrument.label}; "  # type: ignore[union-attr]
            f"test run {run.label} is on {run.instrument.label}."  # type: ignore[union-attr]
        )
