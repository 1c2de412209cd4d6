"""The delivery log page: filters, attempts shown, resend one or a time range, audited, with a
pinned query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditEvent
from tests.factories import UserFactory, WebhookDeliveryFactory
from webhooks.models import DeliveryAttempt, WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_http():
    http = Client()
    http.force_login(UserFactory(role="lead"))
    return http


def attempted(delivery, *, status_code, excerpt):
    DeliveryAttempt.objects.create(
        delivery=delivery,
        attempted_at=timezone.now(),
        status_code=status_code,
        latency_ms=12,
        succeeded=status_code == 200,
        response_excerpt=excerpt,
    )


def queries_of(http, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert http.get(path).status_code == 200
    return len(queries)


def test_the_log_lists_attempts_and_filters_by_status(lead_http):
    failed = WebhookDeliveryFactory(status="failed")
    attempted(failed, status_code=500, excerpt="down for maintenance")
    delivered = WebhookDeliveryFactory(status="succeeded", event__event_type="case.opened")
    attempted(delivered, status_code=200, excerpt="ok")
    few = queries_of(lead_http, "/webhooks/")
    for _ in range(10):
        attempted(WebhookDeliveryFactory(), status_code=503, excerpt="busy")
    assert queries_of(lead_http, "/webhooks/") == few  # no query per delivery or attempt
    page = lead_http.get("/webhooks/")
    assert b"down for maintenance" in page.content
    filtered = lead_http.get("/webhooks/?status=failed").content
    assert b"down for maintenance" in filtered
    assert f'data-delivery="{delivered.pk}"'.encode() not in filtered
    by_type = lead_http.get("/webhooks/?event_type=case.opened").content
    assert f'data-delivery="{delivered.pk}"'.encode() in by_type
    assert f'data-delivery="{failed.pk}"'.encode() not in by_type


def test_resending_one_delivery_makes_it_pending_again_and_is_audited(lead_http):
    delivery = WebhookDeliveryFactory(status="failed")
    response = lead_http.post(f"/webhooks/deliveries/{delivery.pk}/resend")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert AuditEvent.objects.get(action="webhook.resend").after == {
        "delivery": delivery.pk,
        "deliveries": 1,
    }


def test_resending_a_time_range_touches_only_that_range(lead_http):
    now = timezone.now()
    inside = WebhookDeliveryFactory(status="succeeded", event__created_at=now)
    outside = WebhookDeliveryFactory(status="succeeded", event__created_at=now - timedelta(days=2))
    since = (now - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    until = (now + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    response = lead_http.post("/webhooks/resend", {"since": since, "until": until})
    assert response.status_code == 302
    assert set(WebhookDelivery.objects.filter(status="pending").values_list("pk", flat=True)) == {
        inside.pk
    }
    outside.refresh_from_db()
    assert outside.status == "succeeded"
    assert lead_http.post("/webhooks/resend", {"since": since}).status_code == 302  # refused


def test_reviewers_may_not_see_the_log():
    http = Client()
    http.force_login(UserFactory(role="reviewer"))
    assert http.get("/webhooks/").status_code == 403
