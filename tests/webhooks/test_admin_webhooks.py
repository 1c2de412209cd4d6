"""The admin's webhook endpoints: added with the secret shown once, changed, rotated and
removed through the audited services; admins only."""

import pytest
from django.test import Client

from core.models import AuditEvent
from tests.factories import ApiClientFactory, UserFactory, WebhookDeliveryFactory
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

ADD = "/admin/webhooks/webhookendpoint/add/"


@pytest.fixture
def admin_http():
    http = Client()
    http.force_login(UserFactory(role="admin", is_staff=True))
    return http


def test_an_admin_adds_a_desk_wide_endpoint_and_sees_its_secret_once(admin_http):
    response = admin_http.post(
        ADD,
        {
            "url": "https://desk.example/hooks",
            "event_types": ["model.activated", "decision.created"],
            "description": "ops",
            "is_enabled": "on",
        },
    )
    assert response.status_code == 200, response.content[:500]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.client is None
    assert endpoint.secret.encode() in response.content
    change = admin_http.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/")
    assert endpoint.secret.encode() not in change.content
    assert AuditEvent.objects.filter(action="webhook.create").exists()


def test_a_clients_endpoint_may_not_take_desk_wide_events(admin_http):
    response = admin_http.post(
        ADD,
        {
            "client": ApiClientFactory(name="shop").pk,
            "url": "https://shop.example/hooks",
            "event_types": ["model.activated"],
        },
    )
    assert response.status_code == 200
    assert b"desk-wide endpoints only" in response.content
    assert not WebhookEndpoint.objects.exists()


def test_removing_an_endpoint_keeps_its_delivery_log(admin_http):
    delivery = WebhookDeliveryFactory()
    endpoint = delivery.endpoint
    response = admin_http.post(
        f"/admin/webhooks/webhookendpoint/{endpoint.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.deleted_at is not None
    assert not endpoint.is_enabled
    delivery.refresh_from_db()  # still there
    assert AuditEvent.objects.filter(action="webhook.delete").exists()


def test_the_rotate_action_shows_the_new_secret(admin_http):
    endpoint = WebhookDeliveryFactory().endpoint
    old = endpoint.secret
    response = admin_http.post(
        "/admin/webhooks/webhookendpoint/",
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
    )
    endpoint.refresh_from_db()
    assert endpoint.previous_secret == old
    assert endpoint.secret.encode() in response.content


def test_leads_may_not_manage_endpoints():
    http = Client()
    http.force_login(UserFactory(role="lead", is_staff=True))
    assert http.get(ADD).status_code == 403
