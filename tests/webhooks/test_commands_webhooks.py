"""manage.py webhooks: endpoints, deliveries, resend, rotate and send from the shell."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core.models import AuditEvent
from tests.factories import WebhookDeliveryFactory
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("webhooks", *args, stdout=out)
    return out.getvalue()


def test_listing_endpoints_and_deliveries():
    delivery = WebhookDeliveryFactory(status="failed", last_status_code=500)
    assert delivery.endpoint.url in run("endpoints")
    listed = run("deliveries", "--status", "failed")
    assert f"evt_{delivery.event_id}" in listed
    assert "last 500" in listed
    assert run("deliveries", "--status", "succeeded") == ""


def test_resend_one_or_a_range_and_refuse_neither():
    delivery = WebhookDeliveryFactory(status="failed")
    assert run("resend", "--delivery", str(delivery.pk)) == "1 deliveries will be sent again\n"
    assert WebhookDelivery.objects.get().status == "pending"
    WebhookDelivery.objects.update(status="succeeded")
    out = run("resend", "--since", "2000-01-01T00:00Z", "--until", "2100-01-01T00:00Z")
    assert out == "1 deliveries will be sent again\n"
    assert AuditEvent.objects.filter(action="webhook.resend").count() == 2
    with pytest.raises(CommandError):
        run("resend")
    with pytest.raises(CommandError):
        run("resend", "--delivery", "999999")


def test_rotate_prints_the_new_secret_once():
    endpoint = WebhookDeliveryFactory().endpoint
    out = run("rotate", str(endpoint.pk))
    endpoint.refresh_from_db()
    assert endpoint.secret in out
    assert endpoint.previous_secret not in out
    with pytest.raises(CommandError):
        run("rotate", "999999")
