"""Celery tasks of the scoring pipeline: thin wrappers around the pipeline services."""

from celery import shared_task

from scoring.constants import SCORING_BATCH_SIZE
from scoring.services.models import NoActiveModel
from scoring.services.pipeline import returns_decide_pending, returns_pending_overdue

MAX_BATCHES_PER_TASK = 40


@shared_task(acks_late=True, autoretry_for=(NoActiveModel,), retry_backoff=5, max_retries=None)
def decide_pending_returns():
    """Decides pending returns batch by batch until none are left (or a fair share is done)."""
    for _ in range(MAX_BATCHES_PER_TASK):
        if returns_decide_pending() < SCORING_BATCH_SIZE:
            return
    decide_pending_returns.delay()


@shared_task
def sweep_pending_returns():
    if returns_pending_overdue():
        decide_pending_returns.delay()
