"""Writing events into the outbox, in the transaction of the change they report."""

import logging
from dataclasses import dataclass

from celery import current_app
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from webhooks.constants import DELIVER_TASK
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventDraft:
    """An event to record: its type, whose it is (None: the desk's), the return it is about
    (deliveries of one return keep their order) and its `data`."""

    event_type: str
    client_id: int | None
    data: dict
    return_request_id: int | None = None


def deliveries_queue_soon() -> None:
    """Asks a worker to send what is due."""
    # By name, like intake wakes the worker: a lost message only waits for the next sweep.
    try:
        current_app.send_task(DELIVER_TASK, retry=False)
    except Exception:
        logger.warning("could not queue webhook delivery; the sweep will send it", exc_info=True)


def events_record(*, drafts: list[EventDraft], now=None) -> int:
    """Writes the drafts some endpoint subscribes to, with a delivery per subscriber, and
    queues delivery after commit. Must run inside the change's transaction.

    One query finds the subscribers of the whole list and two bulk inserts write it, so a
    scoring batch pays three statements for its events, not one per return.
    """
    if not drafts:
        return 0
    now = now or timezone.now()
    types = {draft.event_type for draft in drafts}
    clients = {draft.client_id for draft in drafts if draft.client_id is not None}
    endpoints = list(
        WebhookEndpoint.objects.filter(
            Q(client__isnull=True) | Q(client_id__in=clients),
            deleted_at__isnull=True,
            event_types__overlap=sorted(types),
        ).values_list("id", "client_id", "event_types")
    )
    if not endpoints:
        return 0
    events, targets = [], []
    for draft in drafts:
        subscribers = [
            endpoint_id
            for endpoint_id, client_id, event_types in endpoints
            if draft.event_type in event_types
            and (client_id is None or client_id == draft.client_id)
        ]
        if subscribers:
            events.append(
                WebhookEvent(
                    event_type=draft.event_type,
                    client_id=draft.client_id,
                    return_request_id=draft.return_request_id,
                    data=draft.data,
                    created_at=now,
                )
            )
            targets.append(subscribers)
    WebhookEvent.objects.bulk_create(events)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            event=event,
            endpoint_id=endpoint_id,
            return_request_id=event.return_request_id,
            next_attempt_at=now,
            created_at=now,
        )
        for event, subscribers in zip(events, targets, strict=True)
        for endpoint_id in subscribers
    )
    transaction.on_commit(deliveries_queue_soon)
    return len(events)
