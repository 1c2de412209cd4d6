"""Celery tasks of the scoring pipeline: thin wrappers around the pipeline services."""

import logging
from pathlib import Path

from celery import shared_task
from django.conf import settings

from scoring.constants import PROMOTION_MARGIN, SCORING_BATCH_SIZE
from scoring.services.drift import DriftReferenceMissing, drift_snapshot_record
from scoring.services.models import NoActiveModel
from scoring.services.pipeline import returns_decide_pending, returns_pending_overdue
from scoring.services.retrain import NotEnoughLabels, model_retrain

logger = logging.getLogger(__name__)

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


@shared_task
def retrain_model():
    """Weekly: a challenger from the labels so far, promoted only past PROMOTION_MARGIN."""
    try:
        model_retrain(base=Path(settings.DEFAULT_TRAINING_DATA), margin=PROMOTION_MARGIN)
    except (NotEnoughLabels, NoActiveModel) as exc:
        logger.info("weekly retraining skipped: %s", exc)


@shared_task
def record_drift_snapshot():
    """Daily: today's drift snapshot over the last DRIFT_WINDOW_DAYS of returns."""
    try:
        drift_snapshot_record()
    except (NoActiveModel, DriftReferenceMissing) as exc:
        logger.warning("drift snapshot skipped: %s", exc)
