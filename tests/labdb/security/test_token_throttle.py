"""The API's failed-token throttle counts per client address and per presented key prefix: a
client guessing keys is stopped without locking out the valid keys of others behind the same
address (a lab's NAT, the reverse proxy), and the real client address is read from the
proxy's header only when one is configured (``LABDB_TRUSTED_PROXY_HEADER``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from labdb.api.authentication import client_ip
from labdb.services.tokens import token_create

pytestmark = pytest.mark.django_db


def get(key: str, **headers: str) -> Any:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/cells/", **headers)


def test_guessing_from_an_address_does_not_lock_out_a_valid_key_there(
    demo_user: Any, settings: Any
) -> None:
    settings.LABDB_AUTH_FAILURE_LIMIT = 5
    good = token_create(user=demo_user, name="instrument PC", scope="read").key
    codes = [get(f"ldb_{i:04d}guessxyz").status_code for i in range(30)]
    assert set(codes) <= {401, 429} and codes[:5] == [401] * 5
    assert get(good).status_code == 200


def test_guessing_one_key_is_stopped_right_or_wrong(demo_user: Any, settings: Any) -> None:
    """After the limit, attempts at one key prefix answer 429 even with the right key, so the
    answer tells a guesser nothing; from another address the key still works."""
    settings.LABDB_AUTH_FAILURE_LIMIT = 5
    good = token_create(user=demo_user, name="instrument PC", scope="read").key
    codes = [get(good[:12] + f"wrong{i}").status_code for i in range(5)]
    assert codes == [401] * 5
    r = get(good)
    assert r.status_code == 429 and "Retry-After" in r
    assert get(good, REMOTE_ADDR="192.0.2.7").status_code == 200


def test_an_address_spraying_keys_is_answered_429_but_valid_keys_pass(
    demo_user: Any, settings: Any
) -> None:
    settings.LABDB_AUTH_FAILURE_LIMIT = 5
    settings.LABDB_AUTH_FAILURE_ADDRESS_LIMIT = 8
    good = token_create(user=demo_user, name="instrument PC", scope="read").key
    codes = [get(f"ldb_{i:04d}sprayabc").status_code for i in range(12)]
    assert codes == [401] * 8 + [429] * 4
    assert get(good).status_code == 200


def test_behind_a_proxy_each_client_is_counted_alone(demo_user: Any, settings: Any) -> None:
    settings.LABDB_AUTH_FAILURE_LIMIT = 3
    settings.LABDB_TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    good = token_create(user=demo_user, name="instrument PC", scope="read").key
    attacker = {"HTTP_X_FORWARDED_FOR": "198.51.100.9", "REMOTE_ADDR": "127.0.0.1"}
    for i in range(3):
        assert get(good[:12] + f"bad{i}", **attacker).status_code == 401
    assert get(good, **attacker).status_code == 429
    colleague = {"HTTP_X_FORWARDED_FOR": "203.0.113.4", "REMOTE_ADDR": "127.0.0.1"}
    assert get(good, **colleague).status_code == 200


def test_client_address_from_the_configured_proxy_header_only(settings: Any) -> None:
    rf = RequestFactory()
    spoofed = rf.get("/", HTTP_X_FORWARDED_FOR="10.9.9.9", REMOTE_ADDR="198.51.100.1")
    settings.LABDB_TRUSTED_PROXY_HEADER = ""
    assert client_ip(spoofed) == "198.51.100.1"  # no proxy configured: the header is ignored
    settings.LABDB_TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    settings.LABDB_TRUSTED_PROXY_COUNT = 1
    # the client may prepend anything; the proxy appends the address it saw, last
    chain = rf.get("/", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.4", REMOTE_ADDR="127.0.0.1")
    assert client_ip(chain) == "203.0.113.4"
    settings.LABDB_TRUSTED_PROXY_COUNT = 2
    assert client_ip(chain) == "10.9.9.9"
    settings.LABDB_TRUSTED_PROXY_COUNT = 1
    junk = rf.get("/", HTTP_X_FORWARDED_FOR="not-an-address", REMOTE_ADDR="127.0.0.1")
    assert client_ip(junk) == "127.0.0.1"
    absent = rf.get("/", REMOTE_ADDR="127.0.0.1")
    assert client_ip(absent) == "127.0.0.1"
    settings.LABDB_TRUSTED_PROXY_HEADER = "X-Real-IP"
    real = rf.get("/", HTTP_X_REAL_IP="2001:db8::5", REMOTE_ADDR="127.0.0.1")
    assert client_ip(real) == "2001:db8::5"


def test_web_login_lockout_uses_the_same_client_address(settings: Any) -> None:
    from axes.helpers import get_client_ip_address

    settings.LABDB_TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    request = RequestFactory().post(
        "/accounts/login/", HTTP_X_FORWARDED_FOR="203.0.113.4", REMOTE_ADDR="127.0.0.1"
    )
    assert get_client_ip_address(request) == "203.0.113.4"
    # a login without a connection (made by code) has no address: NULL in axes' IP column
    assert get_client_ip_address(RequestFactory().post("/accounts/login/", REMOTE_ADDR="")) is None
