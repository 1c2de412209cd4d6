"""API clients in the admin: keys are revoked by an audited action, never re-enabled or deleted."""

import pytest
from django.urls import reverse

from core.models import ApiClient, AuditEvent
from core.services.api_clients import api_client_create, api_key_authenticate
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="desk-admin", role="admin", is_staff=True))
    return client


def test_revoke_action_turns_the_key_off_and_is_audited(admin_client):
    api_client, key = api_client_create(name="shop", role="submitter")
    response = admin_client.post(
        reverse("admin:core_apiclient_changelist"),
        {"action": "revoke", "_selected_action": [api_client.pk]},
    )
    assert response.status_code == 302
    assert api_key_authenticate(secret=key) is None
    event = AuditEvent.objects.get(action="api_client.revoke")
    assert (event.actor_label, event.object_id) == ("desk-admin", str(api_client.pk))
    assert event.before == {"is_active": True}
    assert event.after == {"is_active": False}


def test_a_revoked_key_cannot_be_switched_back_on_in_the_change_form(admin_client):
    api_client, key = api_client_create(name="shop", role="submitter")
    ApiClient.objects.filter(pk=api_client.pk).update(is_active=False)
    admin_client.post(
        reverse("admin:core_apiclient_change", args=[api_client.pk]), {"is_active": "on"}
    )
    assert api_key_authenticate(secret=key) is None


def test_api_clients_cannot_be_deleted(admin_client):
    api_client, _ = api_client_create(name="shop", role="submitter")
    response = admin_client.get(reverse("admin:core_apiclient_delete", args=[api_client.pk]))
    assert response.status_code == 403
    assert ApiClient.objects.filter(pk=api_client.pk).exists()


def test_adding_a_key_shows_its_secret_once_and_is_audited(admin_client):
    api_client, _ = api_client_create(name="shop", role="submitter")
    response = admin_client.post(
        reverse("admin:core_apikey_add"),
        {"client": api_client.pk, "name": "chargebacks", "role": "labeler", "expires_at_0": ""},
    )
    assert response.status_code == 200, response.content
    secret = response.context["keys"][0][1]
    key = api_key_authenticate(secret=secret)
    assert (key.client, key.name, key.role) == (api_client, "chargebacks", "labeler")
    event = AuditEvent.objects.get(action="api_key.create", object_id=str(key.pk))
    assert event.actor_label == "desk-admin"
    listing = admin_client.get(reverse("admin:core_apikey_changelist")).content.decode()
    assert secret not in listing


def test_a_key_the_client_may_not_have_is_refused_on_its_field(admin_client):
    api_client, _ = api_client_create(name="shop", role="submitter")
    response = admin_client.post(
        reverse("admin:core_apikey_add"),
        {"client": api_client.pk, "name": "desk", "role": "reviewer", "expires_at_0": ""},
    )
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["role"]
    assert api_client.keys.count() == 1


def test_rotate_and_revoke_actions(admin_client):
    api_client, old_secret = api_client_create(name="shop", role="submitter")
    old = api_client.keys.get()
    changelist = reverse("admin:core_apikey_changelist")

    rotated = admin_client.post(changelist, {"action": "rotate", "_selected_action": [old.pk]})
    new_secret = rotated.context["keys"][0][1]
    assert api_key_authenticate(secret=new_secret).role == "submitter"
    assert api_key_authenticate(secret=old_secret) == old  # still valid: no downtime

    admin_client.post(changelist, {"action": "revoke", "_selected_action": [old.pk]})
    assert api_key_authenticate(secret=old_secret) is None
    assert api_key_authenticate(secret=new_secret) is not None
    by_admin = AuditEvent.objects.filter(actor_label="desk-admin", action__startswith="api_key.")
    actions = by_admin.values_list("action", flat=True)
    assert sorted(actions) == ["api_key.create", "api_key.revoke", "api_key.rotate"]


def test_keys_cannot_be_deleted_and_a_lead_cannot_see_them(admin_client, client):
    api_client, _ = api_client_create(name="shop", role="submitter")
    key = api_client.keys.get()
    assert admin_client.get(reverse("admin:core_apikey_delete", args=[key.pk])).status_code == 403
    client.force_login(UserFactory(username="lee", role="lead", is_staff=True))
    assert client.get(reverse("admin:core_apikey_changelist")).status_code == 403
