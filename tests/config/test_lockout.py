"""Repeated failed logins lock the username out from that address, on the login page and the
admin's, with a page that says when to try again; other addresses and other users go on."""

from datetime import timedelta

import pytest
from django.test import Client

from core.models import AuditEvent
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"  # UserFactory's
ELSEWHERE = "192.0.2.44"

pytestmark = pytest.mark.django_db


def attempt(client, url, username, password, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_the_fifth_failure_locks_the_username_out_from_that_address(client, url):
    UserFactory(username="dana", role="admin", is_staff=True)
    for _ in range(4):
        assert attempt(client, url, "dana", "guess").status_code == 200  # the form, with an error

    locked = attempt(client, url, "dana", "guess")

    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    page = locked.content.decode()
    assert "Too many failed logins" in page
    assert "failed to log in 5 times from this address" in page
    assert "Try again after" in page
    assert "15 minutes from now" in page
    # Even the right password waits out the cool-off here...
    assert attempt(client, url, "dana", PASSWORD).status_code == 429
    # ...while the same user elsewhere, and others here, log in as usual.
    assert attempt(Client(), url, "dana", PASSWORD, REMOTE_ADDR=ELSEWHERE).status_code == 302
    UserFactory(username="sam", role="admin", is_staff=True)
    assert attempt(client, url, "sam", PASSWORD).status_code == 302


def test_a_successful_login_clears_the_failures_before_it(client):
    UserFactory(username="dana", role="reviewer")
    for _ in range(4):
        attempt(client, "/accounts/login/", "dana", "guess")
    assert attempt(client, "/accounts/login/", "dana", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert attempt(client, "/accounts/login/", "dana", "guess").status_code == 200
    assert attempt(client, "/accounts/login/", "dana", PASSWORD).status_code == 302


def test_the_limit_and_the_cool_off_are_settings(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=1)
    UserFactory(username="dana", role="reviewer")
    assert attempt(client, "/accounts/login/", "dana", "guess").status_code == 200

    locked = attempt(client, "/accounts/login/", "dana", "guess")

    assert locked.status_code == 429
    assert locked["Retry-After"] == "60"
    assert "1 minute from now" in locked.content.decode()


PROXY = "10.0.0.5"  # the load balancer every request comes through


def test_without_trusted_proxies_a_forwarded_for_header_is_ignored(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    UserFactory(username="dana", role="reviewer")
    # A guesser cannot dodge the count by claiming a new address on each try.
    for n in range(4):
        spoofed = {"HTTP_X_FORWARDED_FOR": f"198.51.100.{n}"}
        assert attempt(client, "/accounts/login/", "dana", "guess", **spoofed).status_code == 200

    locked = attempt(client, "/accounts/login/", "dana", "guess", HTTP_X_FORWARDED_FOR="1.2.3.4")

    assert locked.status_code == 429
    event = AuditEvent.objects.filter(action="login.failed").order_by("pk").last()
    assert event.after["ip_address"] == "127.0.0.1"


def test_behind_one_trusted_proxy_each_client_is_counted_by_its_own_address(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="dana", role="reviewer")
    guesser = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    for _ in range(4):
        assert attempt(client, "/accounts/login/", "dana", "guess", **guesser).status_code == 200
    # What the guesser writes into the header itself is left of the proxy's entry: ignored.
    spoofing = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "192.0.2.1, 203.0.113.7"}

    locked = attempt(client, "/accounts/login/", "dana", "guess", **spoofing)

    assert locked.status_code == 429
    event = AuditEvent.objects.filter(action="login.locked_out").order_by("pk").last()
    assert event.after["ip_address"] == "203.0.113.7"
    # The same account from another client behind the same proxy signs in.
    colleague = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.8"}
    assert attempt(Client(), "/accounts/login/", "dana", PASSWORD, **colleague).status_code == 302
    # A request that did not come through the proxy (no header) counts by its peer.
    direct = attempt(Client(), "/accounts/login/", "dana", "guess", REMOTE_ADDR="192.0.2.9")
    assert direct.status_code == 200
    assert AuditEvent.objects.filter(action="login.failed").order_by("pk").last().after[
        "ip_address"
    ] == ("192.0.2.9")
