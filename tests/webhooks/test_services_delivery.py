"""The outbox and its delivery against a real local receiver: what is written with a decision,
signatures, retries with backoff on an advanced clock, order per return, disabling, rotation."""

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from budgets.services.holds import hold_place, hold_release
from casework.services.labels import label_record
from casework.services.pipeline import returns_decide_pending
from casework.services.review import case_claim, case_resolve
from core.models import AuditEvent
from deskclient.signatures import SignatureError, verify_signature
from scoring.services.models import model_version_register
from tests.factories import (
    ApiClientFactory,
    ReturnRequestFactory,
    ReviewCaseFactory,
    UserFactory,
)
from webhooks.choices import DeliveryStatus, EventType
from webhooks.models import DeliveryAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.services.delivery import deliveries_send_due
from webhooks.services.endpoints import endpoint_create, endpoint_rotate_secret

pytestmark = pytest.mark.django_db


def endpoint_for(client, url, *types):
    return endpoint_create(
        client=client, url=url, event_types=list(types) or [EventType.DECISION_CREATED], actor=None
    )


def send_all(now):
    """Rounds at `now` until a round claims nothing."""
    while deliveries_send_due(now=now).claimed:
        pass


def test_a_decision_writes_its_event_only_for_endpoints_that_subscribe(active_model, receiver):
    shop, other = ApiClientFactory(name="shop"), ApiClientFactory(name="other")
    mine, _ = endpoint_for(shop, receiver.url)
    endpoint_for(shop, receiver.url, EventType.CASE_RESOLVED)  # not this event
    endpoint_for(other, receiver.url)  # not this client's
    desk_wide, _ = endpoint_create(
        client=None,
        url=receiver.url,
        event_types=[EventType.DECISION_CREATED, EventType.MODEL_ACTIVATED],
        actor=None,
    )
    returned = ReturnRequestFactory(client=shop, customer__client=shop)
    returns_decide_pending()
    event = WebhookEvent.objects.get()
    assert event.event_type == "decision.created"
    assert event.return_request_id == returned.pk
    assert event.data["return"]["order_id"] == returned.order_id
    assert event.data["decision"]["model_version"] == active_model.version
    assert set(event.data["decision"]["expected_cost"]) == {"approve", "reject", "review"}
    assert sorted(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == sorted(
        [mine.pk, desk_wide.pk]
    )


def test_a_batch_without_subscribers_writes_no_events(active_model):
    ReturnRequestFactory.create_batch(3)
    returns_decide_pending()
    assert not WebhookEvent.objects.exists()


def test_a_delivery_is_signed_with_the_endpoints_secret(active_model, receiver):
    shop = ApiClientFactory(name="shop")
    _, secret = endpoint_for(shop, receiver.url)
    returned = ReturnRequestFactory(client=shop, customer__client=shop)
    returns_decide_pending()
    now = timezone.now()
    done = deliveries_send_due(now=now)
    assert (done.claimed, done.succeeded) == (1, 1)
    [got] = receiver.accepted()
    signed_at = verify_signature(got.body, got.headers["Desk-Signature"], secret)
    assert signed_at == int(now.timestamp())
    assert got.payload["type"] == "decision.created"
    assert got.payload["id"] == f"evt_{WebhookEvent.objects.get().pk}"
    assert got.payload["data"]["return"]["order_id"] == returned.order_id
    with pytest.raises(SignatureError):
        verify_signature(got.body, got.headers["Desk-Signature"], "whsec_someone-else")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)


def test_a_failing_receiver_is_retried_with_backoff_and_gets_each_event_once(
    active_model, receiver
):
    shop = ApiClientFactory(name="shop")
    endpoint, _ = endpoint_for(shop, receiver.url)
    ReturnRequestFactory.create_batch(5, client=shop, customer__client=shop)
    returns_decide_pending()
    receiver.mode = "fail"
    start = timezone.now()
    done = deliveries_send_due(now=start)
    # The endpoint failed once; the rest of the round waits for its backoff, not a timeout each.
    assert (done.claimed, done.failed, done.deferred) == (5, 1, 4)
    assert deliveries_send_due(now=start + timedelta(seconds=5)).claimed == 0  # paused
    for minute in range(1, 6):
        send_all(start + timedelta(minutes=minute))
    assert not receiver.accepted()
    failures = DeliveryAttempt.objects.filter(succeeded=False)
    assert failures.count() >= 3
    assert set(failures.values_list("status_code", flat=True)) == {500}
    assert failures.first().response_excerpt == "receiver is down"
    receiver.mode = "ok"
    for minute in range(6, 120, 5):
        send_all(start + timedelta(minutes=minute))
    assert list(receiver.accepted_per_event().values()) == [1] * 5
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}
    endpoint.refresh_from_db()
    assert (endpoint.consecutive_failures, endpoint.paused_until) == (0, None)


def test_events_of_one_return_go_in_order_when_the_first_fails(active_model, receiver):
    shop = ApiClientFactory(name="shop")
    endpoint_for(shop, receiver.url, EventType.DECISION_CREATED, EventType.RETURN_OUTCOME_CHANGED)
    returned = ReturnRequestFactory(
        client=shop, customer__client=shop, order_value=Decimal("20.00")
    )
    returns_decide_pending()
    label_record(
        return_request=returned,
        is_fraud=True,
        source="chargeback",
        observed_at=timezone.now(),
        actor=None,
    )
    receiver.mode = "fail"
    start = timezone.now()
    deliveries_send_due(now=start)
    receiver.mode = "ok"
    # The endpoint's pause lifted, the second delivery is due but waits for the first.
    WebhookEndpoint.objects.update(paused_until=None)
    first = WebhookDelivery.objects.order_by("id").first()
    assert deliveries_send_due(now=first.next_attempt_at - timedelta(seconds=1)).claimed == 0
    send_all(first.next_attempt_at)
    types = [r.payload["type"] for r in receiver.accepted()]
    assert types == ["decision.created", "return.outcome_changed"]


def test_an_endpoint_that_keeps_failing_is_disabled_and_audited(active_model, receiver, settings):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    shop = ApiClientFactory(name="shop")
    endpoint, _ = endpoint_for(shop, receiver.url)
    ReturnRequestFactory(client=shop, customer__client=shop)
    returns_decide_pending()
    receiver.mode = "fail"
    now = timezone.now()
    for _ in range(3):
        deliveries_send_due(now=now)
        endpoint.refresh_from_db()
        now = max(endpoint.paused_until, WebhookDelivery.objects.get().next_attempt_at)
    endpoint.refresh_from_db()
    assert not endpoint.is_enabled
    assert endpoint.disabled_reason == "3 failed deliveries in a row"
    assert AuditEvent.objects.filter(action="webhook.disable", object_id=str(endpoint.pk)).exists()
    # Nothing is lost: the delivery waits, pending, for the endpoint to be enabled again.
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING
    assert deliveries_send_due(now=now + timedelta(days=1)).claimed == 0


def test_a_delivery_is_given_up_after_the_retry_window(active_model, receiver, settings):
    shop = ApiClientFactory(name="shop")
    endpoint_for(shop, receiver.url)
    ReturnRequestFactory(client=shop, customer__client=shop)
    returns_decide_pending()
    receiver.mode = "fail"
    deliveries_send_due(now=timezone.now() + timedelta(hours=settings.WEBHOOK_RETRY_HOURS))
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


def test_a_hanging_receiver_costs_one_timeout_per_round(active_model, receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    shop = ApiClientFactory(name="shop")
    endpoint_for(shop, receiver.url)
    ReturnRequestFactory.create_batch(3, client=shop, customer__client=shop)
    returns_decide_pending()
    receiver.mode = "hang"
    done = deliveries_send_due(now=timezone.now())
    assert (done.failed, done.deferred) == (1, 2)
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code is None
    assert attempt.error == "no answer within 0.5s"


def test_after_rotation_both_secrets_sign_until_the_overlap_ends(active_model, receiver, settings):
    shop = ApiClientFactory(name="shop")
    endpoint, old = endpoint_for(shop, receiver.url)
    endpoint, new = endpoint_rotate_secret(endpoint=endpoint, actor=None)
    ReturnRequestFactory.create_batch(2, client=shop, customer__client=shop)
    returns_decide_pending()
    first, second = WebhookDelivery.objects.order_by("id")
    now = timezone.now()
    deliveries_send_due(now=now, limit=1)
    later = now + timedelta(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS, seconds=1)
    deliveries_send_due(now=later, limit=1)
    during, after = receiver.accepted()
    for secret in (old, new):
        verify_signature(during.body, during.headers["Desk-Signature"], secret, tolerance=0)
    assert during.headers["Desk-Signature"].count("v1=") == 2
    verify_signature(after.body, after.headers["Desk-Signature"], new, tolerance=0)
    with pytest.raises(SignatureError):
        verify_signature(after.body, after.headers["Desk-Signature"], old, tolerance=0)
    audit = AuditEvent.objects.get(action="webhook.rotate_secret")
    assert old not in str(audit.after)
    assert new not in str(audit.after)


def test_holds_are_events_of_the_customers_client(active_model, receiver):
    shop = ApiClientFactory(name="shop")
    endpoint_for(
        shop, receiver.url, EventType.CUSTOMER_HOLD_PLACED, EventType.CUSTOMER_HOLD_RELEASED
    )
    returned = ReturnRequestFactory(client=shop, customer__client=shop)
    hold = hold_place(customer=returned.customer, actor=UserFactory(role="lead"), reason="ring")
    hold_release(hold=hold, actor=None)
    send_all(timezone.now())
    got = [(r.payload["type"], r.payload["data"]) for r in receiver.accepted()]
    assert [t for t, _ in got] == ["customer.hold_placed", "customer.hold_released"]
    assert got[0][1]["hold"]["customer_id"] == returned.customer.external_id
    assert got[1][1]["hold"]["released_at"] is not None


def test_a_model_activation_goes_to_desk_wide_endpoints_only(
    active_model, trained_bundle, receiver
):
    endpoint_create(
        client=None, url=receiver.url, event_types=[EventType.MODEL_ACTIVATED], actor=None
    )
    successor = model_version_register(bundle=trained_bundle, training_data="again.csv")
    send_all(timezone.now())
    [got] = receiver.accepted()
    assert got.payload["type"] == "model.activated"
    assert got.payload["data"]["model"] == {
        "version": successor.version,
        "previous": active_model.version,
        "activated_at": successor.activated_at.isoformat(),
    }


def test_a_verdict_sends_case_resolved_then_each_returns_outcome(receiver):
    case = ReviewCaseFactory(decision__return_request__status="in_review")
    client = case.return_request.client
    endpoint_for(client, receiver.url, EventType.CASE_RESOLVED, EventType.RETURN_OUTCOME_CHANGED)
    reviewer = UserFactory(role="reviewer")
    case_claim(case_id=case.pk, actor=reviewer)
    case_resolve(case_id=case.pk, actor=reviewer, verdict="fraud")
    send_all(timezone.now())
    got = [r.payload for r in receiver.accepted()]
    assert [p["type"] for p in got] == ["case.resolved", "return.outcome_changed"]
    assert got[0]["data"]["case"]["verdict"] == "fraud"
    assert got[0]["data"]["case"]["returns"] == [case.return_request.order_id]
    assert got[1]["data"]["label"] == {"is_fraud": True, "source": "review"}
    assert got[1]["data"]["return"]["outcome"] == "rejected"


def test_secrets_stay_out_of_the_delivery_log_and_the_logs(active_model, receiver, caplog):
    caplog.set_level(logging.DEBUG)
    shop = ApiClientFactory(name="shop")
    _, secret = endpoint_for(shop, receiver.url)
    ReturnRequestFactory(client=shop, customer__client=shop)
    returns_decide_pending()
    receiver.mode = "fail"
    receiver.answer_body = f"bad signature, expected secret {secret}".encode()
    deliveries_send_due(now=timezone.now())
    attempt = DeliveryAttempt.objects.get()
    assert attempt.response_excerpt == "bad signature, expected secret [secret]"
    assert secret not in caplog.text
