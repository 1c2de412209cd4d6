"""Logins leave an audit trail: each success, each failure and each lockout, with the address."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from core.models import AuditEvent
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"  # UserFactory's

pytestmark = pytest.mark.django_db


def attempt(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_failed_logins_and_the_lockout_they_cause_are_audited_against_the_account(client):
    dana = UserFactory(username="dana", role="reviewer")
    for _ in range(5):
        attempt(client, "dana", "guess")

    failures = AuditEvent.objects.filter(action="login.failed")
    assert failures.count() == 5
    assert {(e.object_type, e.object_id, e.actor_id) for e in failures} == {
        ("auth.user", str(dana.pk), None)
    }
    assert {e.actor_label for e in failures} == {"anonymous from 127.0.0.1"}
    assert failures.first().after == {"username": "dana", "ip_address": "127.0.0.1"}
    lockout = AuditEvent.objects.get(action="login.locked_out")
    assert lockout.object_id == str(dana.pk)
    assert lockout.after["failure_limit"] == 5
    locked_until = datetime.fromisoformat(lockout.after["locked_until"])
    assert abs(locked_until - (timezone.now() + timedelta(minutes=15))) < timedelta(minutes=1)


def test_an_attempt_while_locked_out_is_audited_as_a_failure_and_a_lockout(client):
    UserFactory(username="dana", role="reviewer")
    for _ in range(5):
        attempt(client, "dana", "guess")

    attempt(client, "dana", PASSWORD)

    assert AuditEvent.objects.filter(action="login.failed").count() == 6
    assert AuditEvent.objects.filter(action="login.locked_out").count() == 2
    assert not AuditEvent.objects.filter(action="login.succeeded").exists()


def test_a_failed_login_naming_no_account_is_audited_with_the_name_tried(client):
    attempt(client, "root", "toor")

    event = AuditEvent.objects.get(action="login.failed")
    assert (event.object_type, event.object_id) == ("auth.user", "")
    assert event.after == {"username": "root", "ip_address": "127.0.0.1"}


def test_a_successful_login_is_audited_with_the_user_as_actor(client):
    dana = UserFactory(username="dana", role="reviewer")

    attempt(client, "dana", PASSWORD)

    event = AuditEvent.objects.get(action="login.succeeded")
    assert (event.actor, event.actor_label, event.object_id) == (dana, "dana", str(dana.pk))
    assert event.after == {"username": "dana", "ip_address": "127.0.0.1"}
