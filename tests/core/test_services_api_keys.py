"""API keys: several per client, expiry, rotation without downtime, revocation, all audited."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import ApiKey, AuditEvent
from core.services.api_clients import (
    LAST_USED_RESOLUTION,
    ApiKeyRefused,
    api_client_create,
    api_key_authenticate,
    api_key_create,
    api_key_rotate,
    api_keys_revoke,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    client, secret = api_client_create(name="shop", role="submitter")
    client.secret = secret
    return client


def test_a_client_holds_several_named_keys_each_with_its_own_role(shop):
    labels, secret = api_key_create(client=shop, name="chargebacks", role="labeler")

    assert api_key_authenticate(secret=shop.secret).role == "submitter"
    assert api_key_authenticate(secret=secret) == labels
    assert labels.client == shop
    assert sorted(shop.keys.values_list("name", flat=True)) == ["chargebacks", "default"]


def test_rotation_keeps_the_old_key_working_until_its_grace_ends_and_is_audited(shop):
    old = shop.keys.get()
    until = timezone.now() + timedelta(hours=2)

    new, secret = api_key_rotate(key=old, new_name="2026-12", old_expires_at=until)

    assert (new.name, new.role, new.client) == ("2026-12", "submitter", shop)
    assert api_key_authenticate(secret=secret) == new
    assert api_key_authenticate(secret=shop.secret) == old
    old.refresh_from_db()
    assert old.expires_at == until
    rotated = AuditEvent.objects.get(action="api_key.rotate")
    assert rotated.object_id == str(old.pk)
    assert rotated.before["expires_at"] is None
    assert rotated.after["expires_at"] == until.isoformat()
    assert rotated.after["replaced_by"] == "2026-12"
    created = AuditEvent.objects.filter(action="api_key.create").order_by("id").last()
    assert created.object_id == str(new.pk)


def test_a_grace_never_lengthens_a_keys_life(shop):
    soon = timezone.now() + timedelta(hours=1)
    old, _ = api_key_create(client=shop, name="short", role="submitter", expires_at=soon)

    api_key_rotate(key=old, old_expires_at=soon + timedelta(days=30))

    old.refresh_from_db()
    assert old.expires_at == soon


def test_an_expired_key_is_refused(shop):
    key = shop.keys.get()
    ApiKey.objects.filter(pk=key.pk).update(
        created_at=timezone.now() - timedelta(days=2),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert api_key_authenticate(secret=shop.secret) is None


def test_a_revoked_key_is_refused_and_the_others_go_on(shop):
    spare, spare_secret = api_key_create(client=shop, name="spare", role="submitter")

    assert api_keys_revoke(key_ids=[shop.keys.get(name="default").pk], actor_label="ops") == 1

    assert api_key_authenticate(secret=shop.secret) is None
    assert api_key_authenticate(secret=spare_secret) == spare
    event = AuditEvent.objects.get(action="api_key.revoke")
    assert (event.actor_label, event.before) == ("ops", {"revoked_at": None})
    assert api_keys_revoke(key_ids=[shop.keys.get(name="default").pk]) == 0  # once only


def test_no_secret_reaches_the_audit_trail(shop):
    new, secret = api_key_rotate(key=shop.keys.get())
    api_keys_revoke(key_ids=[new.pk])
    trail = json.dumps(list(AuditEvent.objects.values("before", "after", "actor_label")))
    assert shop.secret not in trail
    assert secret not in trail
    assert new.hash not in trail


def test_last_used_is_written_at_most_once_a_minute(shop):
    with CaptureQueriesContext(connection) as first:
        api_key_authenticate(secret=shop.secret)
    with CaptureQueriesContext(connection) as again:
        api_key_authenticate(secret=shop.secret)
    key = shop.keys.get()
    ApiKey.objects.filter(pk=key.pk).update(
        last_used_at=timezone.now() - LAST_USED_RESOLUTION - timedelta(seconds=1)
    )
    with CaptureQueriesContext(connection) as later:
        api_key_authenticate(secret=shop.secret)

    def writes(queries):
        return [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]

    assert (len(writes(first)), len(writes(again)), len(writes(later))) == (1, 0, 1)
    key.refresh_from_db()
    assert timezone.now() - key.last_used_at < timedelta(seconds=5)


@pytest.mark.parametrize(
    ("client_role", "role", "field"),
    [
        ("submitter", "reviewer", "role"),  # a retailer's client never gets a reviewer key
        ("reviewer", "labeler", "role"),
        ("submitter", "owner", "role"),
    ],
)
def test_keys_a_client_may_not_have_are_refused_naming_the_field(client_role, role, field):
    client, _ = api_client_create(name="c", role=client_role)
    with pytest.raises(ApiKeyRefused) as refused:
        api_key_create(client=client, name="extra", role=role)
    assert refused.value.field == field
    assert client.keys.count() == 1


@pytest.mark.parametrize(
    ("name", "expires_in", "field"),
    [("default", None, "name"), ("", None, "name"), ("x" * 101, None, "name"),
     ("later", timedelta(seconds=-1), "expires_at")],
)  # fmt: skip
def test_bad_key_fields_are_refused_by_name(shop, name, expires_in, field):
    expires_at = timezone.now() + expires_in if expires_in else None
    with pytest.raises(ApiKeyRefused) as refused:
        api_key_create(client=shop, name=name, role="submitter", expires_at=expires_at)
    assert refused.value.field == field


def test_a_revoked_key_cannot_be_rotated(shop):
    key = shop.keys.get()
    api_keys_revoke(key_ids=[key.pk])
    with pytest.raises(ApiKeyRefused, match="^key: "):
        api_key_rotate(key=key)
