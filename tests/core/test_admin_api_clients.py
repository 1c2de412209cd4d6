"""API clients in the admin: keys are revoked by an audited action, never re-enabled or deleted."""

import pytest
from django.urls import reverse

from core.models import ApiClient, AuditEvent
from core.services.api_clients import api_client_authenticate, api_client_create
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
    assert api_client_authenticate(key=key) is None
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
    assert api_client_authenticate(key=key) is None


def test_api_clients_cannot_be_deleted(admin_client):
    api_client, _ = api_client_create(name="shop", role="submitter")
    response = admin_client.get(reverse("admin:core_apiclient_delete", args=[api_client.pk]))
    assert response.status_code == 403
    assert ApiClient.objects.filter(pk=api_client.pk).exists()
