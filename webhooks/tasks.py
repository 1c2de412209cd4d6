"""Celery task of the webhooks app: sending what the outbox has due."""

from celery import shared_task

from webhooks.constants import DELIVER_TASK, DELIVERY_BATCH_SIZE, DELIVERY_ROUNDS_PER_TASK
from webhooks.services.delivery import deliveries_send_due


# Queued after each commit that writes events, and every 10 seconds by beat for due retries.
# A round spends at most one timeout per failing endpoint, so the limits stay well ahead.
@shared_task(name=DELIVER_TASK, acks_late=True, soft_time_limit=240, time_limit=300)
def deliver_webhooks():
    """Sends due deliveries round by round until none are left (or a fair share is done)."""
    for _ in range(DELIVERY_ROUNDS_PER_TASK):
        if deliveries_send_due().claimed < DELIVERY_BATCH_SIZE:
            return
    deliver_webhooks.delay()
