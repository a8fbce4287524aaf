"""Every page carries a Content-Security-Policy: scripts only from this site (no inline
script, no eval), styles from this site plus inline styles (Plotly sets them), no plugins, no
framing, forms posting only here. The browser test (tests/e2e) checks that plots still render
under it with no console error."""

from __future__ import annotations

import pytest
from django.test import Client


def directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/lots/", "/cells/", "/upload/", "/tokens/", "/compare/", "/api/v1/docs/"]
)
def test_every_page_has_a_strict_script_policy(client_demo: Client, path: str) -> None:
    response = client_demo.get(path)
    assert response.status_code == 200, path
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'self'"]
    assert "'unsafe-inline'" in policy["style-src"]


@pytest.mark.django_db
def test_login_page_and_errors_have_the_policy(client: Client) -> None:
    assert "script-src 'self'" in client.get("/accounts/login/")["Content-Security-Policy"]


@pytest.mark.django_db
def test_pages_have_no_inline_script(client_demo: Client) -> None:
    """An inline <script> would be refused by the policy: none may be left in a page."""
    for path in ("/", "/lots/", "/upload/", "/api/v1/docs/"):
        html = client_demo.get(path).content.decode()
        for chunk in html.split("<script")[1:]:
            tag = chunk.split(">", 1)[0]
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
