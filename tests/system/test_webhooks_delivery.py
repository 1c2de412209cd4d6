"""Whole-stack webhooks: returns through the batch API, a real Celery worker deciding them and
queueing deliveries, and a real local receiver that fails or hangs."""

import time
from collections import defaultdict
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from deskclient.signatures import verify_signature
from intake.models import ReturnRequest
from tests.system.conftest import wait_until
from tests.system.test_worker_pipeline import csv_payloads, submit_in_batches
from tests.webhook_receiver import Receiver
from webhooks.choices import DeliveryStatus, EventType
from webhooks.models import DeliveryAttempt, WebhookDelivery, WebhookEvent
from webhooks.services.delivery import deliveries_send_due
from webhooks.services.endpoints import endpoint_create, endpoint_delete

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SEVERE = settings.SHARED_DATASETS / "returns_severe_drift.csv"


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


def all_decided():
    return not ReturnRequest.objects.filter(status="pending").exists()


def send_all(now):
    while deliveries_send_due(now=now).claimed:
        pass


def test_every_decision_is_delivered_once_after_five_minutes_of_500s(
    api, submitter, active_model, worker, receiver
):
    _, secret = endpoint_create(
        client=submitter,
        url=receiver.url,
        event_types=[EventType.DECISION_CREATED, EventType.CASE_OPENED],
        actor=None,
    )
    receiver.mode = "fail"
    payloads = csv_payloads(SEVERE)[:1000]
    assert submit_in_batches(api, payloads).count("accepted") == 1000
    assert wait_until(all_decided, timeout=240), "returns left pending"
    time.sleep(2)  # the worker's own delivery rounds, sent on commit, have met the 500s

    # Five minutes of 500s, the clock advanced rather than waited for.
    start = timezone.now()
    for second in range(0, 300, 10):
        send_all(start + timedelta(seconds=second))
    assert not receiver.accepted()
    receiver.mode = "ok"
    moment = start + timedelta(seconds=300)
    while WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).exists():
        assert moment < start + timedelta(hours=12), "deliveries still pending"
        send_all(moment)
        moment += timedelta(minutes=1)

    decisions = WebhookEvent.objects.filter(event_type=EventType.DECISION_CREATED)
    assert decisions.count() == 1000
    per_event = receiver.accepted_per_event()
    assert {f"evt_{pk}" for pk in decisions.values_list("pk", flat=True)} <= set(per_event)
    assert set(per_event.values()) == {1}, "an event was delivered more than once"
    arrivals = defaultdict(list)  # per return, the events in the order the receiver got them
    for got in receiver.accepted():
        verify_signature(got.body, got.headers["Desk-Signature"], secret, tolerance=0)
        data = got.payload["data"]
        order_id = data["return"]["order_id"] if "return" in data else data["case"]["returns"][0]
        arrivals[order_id].append(
            (int(got.payload["id"].removeprefix("evt_")), got.payload["type"])
        )
    opened = sum(types.count((n, "case.opened")) for types in arrivals.values() for n, _ in types)
    for events in arrivals.values():
        assert events == sorted(events), "an event overtook an earlier one of its return"
        assert events[0][1] == "decision.created"
    failed = DeliveryAttempt.objects.filter(succeeded=False)
    assert set(failed.values_list("status_code", flat=True)) == {500}
    assert DeliveryAttempt.objects.filter(succeeded=True).count() == len(receiver.accepted())
    print(
        f"\n{decisions.count()} decision.created and {opened} case.opened delivered once each; "
        f"{failed.count()} failed attempts logged while the receiver answered 500; "
        f"last delivery at +{(moment - start).total_seconds() / 60:.0f} simulated minutes"
    )


def intake_rate(api, payloads):
    """Returns a second the batch API took in, and returns a second decided by the worker."""
    started = time.monotonic()
    submit_in_batches(api, payloads)
    submitted = time.monotonic() - started
    assert wait_until(all_decided, timeout=300, interval=0.1)
    decided = time.monotonic() - started
    return len(payloads) / submitted, len(payloads) / decided


def test_a_hanging_receiver_does_not_slow_intake(api, submitter, active_model, worker, receiver):
    """Rounds with no endpoint, one that hangs and one that answers, interleaved, so that the
    database growing and the other load on the machine weigh on each alike. The answering
    endpoint separates what writing the outbox costs from what a hanging receiver costs."""
    payloads = csv_payloads(SEVERE)[:2000]
    rates = {"none": [], "hanging": [], "answering": []}
    for round_number in range(2):
        for kind in rates:
            endpoint = None
            if kind != "none":
                receiver.mode = "hang" if kind == "hanging" else "ok"
                endpoint, _ = endpoint_create(
                    client=submitter,
                    url=receiver.url,
                    event_types=[EventType.DECISION_CREATED],
                    actor=None,
                )
            prefix = f"{kind}{round_number}-"
            rates[kind].append(
                intake_rate(api, [{**p, "order_id": prefix + p["order_id"]} for p in payloads])
            )
            if endpoint is not None:
                endpoint_delete(endpoint=endpoint, actor=None)

    def figures(kind):
        intake = sum(rate[0] for rate in rates[kind]) / len(rates[kind])
        decided = sum(rate[1] for rate in rates[kind]) / len(rates[kind])
        rounds = [round(rate[0]) for rate in rates[kind]]
        return f"{kind}: intake {intake:,.0f} returns/s {rounds}, decided {decided:,.0f}/s"

    print("\nbatch intake by endpoint: " + "; ".join(figures(kind) for kind in rates))
    assert WebhookEvent.objects.count() == 8000
