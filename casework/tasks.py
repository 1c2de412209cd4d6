"""Celery tasks of the casework app: deciding pending returns, and periodic housekeeping."""

import logging
import time

from celery import shared_task

from casework.services.health import sweeper_heartbeat_record
from casework.services.pipeline import returns_decide_pending, returns_pending_overdue
from casework.services.queue_tallies import queue_tallies_fold
from casework.services.review import cases_expire_stale_claims
from intake.constants import DECIDE_PENDING_TASK
from intake.services.idempotency import idempotency_purge_expired
from ml.artifacts import TamperedArtifactError
from scoring.constants import SCORING_BATCH_MAX, SCORING_BATCH_MIN
from scoring.services.models import NoActiveModel

logger = logging.getLogger(__name__)

# At most 9,600 returns a task (see batch_limits): a fair share before the next task's turn.
MAX_BATCHES_PER_TASK = 40


# At most one warning a minute per worker process while the model is unusable: the sweeper
# retries every 5 seconds by itself, so retries here would only pile up tasks and log lines.
MODEL_TROUBLE_LOG_INTERVAL = 60.0
_model_trouble_logged_at = -MODEL_TROUBLE_LOG_INTERVAL


def batch_limits(*, count: int) -> list[int]:
    """The most each of `count` batches in a row may claim: doubling from SCORING_BATCH_MIN."""
    return [min(SCORING_BATCH_MIN << n, SCORING_BATCH_MAX) for n in range(count)]


def _model_trouble(level: int, message: str, *args) -> None:
    global _model_trouble_logged_at
    now = time.monotonic()
    if now - _model_trouble_logged_at >= MODEL_TROUBLE_LOG_INTERVAL:
        _model_trouble_logged_at = now
        logger.log(level, message + "; returns stay pending until it is fixed", *args)


# Limits well above a full task (seconds) that still free a stuck worker slot.
# Intake wakes this task by its name, DECIDE_PENDING_TASK, without importing the worker.
@shared_task(name=DECIDE_PENDING_TASK, acks_late=True, soft_time_limit=120, time_limit=180)
def decide_pending_returns():
    """Decides pending returns batch by batch until none are left (or a fair share is done),
    each batch up to twice the last while they come back full (scoring.constants)."""
    try:
        for limit in batch_limits(count=MAX_BATCHES_PER_TASK):
            if returns_decide_pending(limit=limit) < limit:
                return
    except NoActiveModel as exc:
        _model_trouble(logging.WARNING, "cannot decide: %s", exc)
        return
    except TamperedArtifactError as exc:
        _model_trouble(logging.CRITICAL, "cannot decide: the active model's files: %s", exc)
        return
    decide_pending_returns.delay()


@shared_task
def sweep_pending_returns():
    sweeper_heartbeat_record()
    if returns_pending_overdue():
        decide_pending_returns.delay()


@shared_task
def expire_stale_claims():
    return cases_expire_stale_claims()


@shared_task
def fold_queue_tallies():
    return queue_tallies_fold()


@shared_task
def purge_expired_idempotency_keys():
    return idempotency_purge_expired()
