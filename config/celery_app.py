"""The Celery application; every periodic schedule is declared here, in one place."""

import logging.config
import os

from celery import Celery, states
from celery.schedules import crontab
from celery.signals import (
    setup_logging,
    task_failure,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_init,
)
from django_structlog.celery.steps import DjangoStructLogInitStep

# Like wsgi.py, production unless told otherwise: `make run` and tests set their own.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("returnsdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# A task's log lines carry its id, and the request id of the API call that sent it.
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def log_like_the_web(loglevel=None, **kwargs):
    """The worker logs through the desk's LOGGING (JSON lines by default), not Celery's own."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


@task_failure.connect
def count_task_failure(sender=None, **kwargs):
    """/metrics reports failed tasks, counted where every worker's add up."""
    from insights.metrics import task_failure_record

    task_failure_record(sender.name if sender is not None else "unknown")


@task_prerun.connect
def database_connections_checked(**kwargs):
    """A task takes its process's database connection as a request does: tested before its
    first statement (CONN_HEALTH_CHECKS), replaced past CONN_MAX_AGE or after an error it left
    unusable (settings.CELERY_DB_REUSE_MAX keeps Celery from opening one for every task)."""
    from django.db import close_old_connections

    close_old_connections()


@task_postrun.connect
def database_connections_dropped_after_failure(state=None, **kwargs):
    """A failed task may have been stopped inside a statement (its soft time limit), leaving a
    connection that looks usable but is not: the next task connects afresh."""
    if state != states.SUCCESS:
        from django.db import connections

        connections.close_all()


@worker_init.connect
@worker_process_init.connect
def bound_worker_database_waits(**kwargs):
    """A worker's connections carry the worker's limits on waits (config/db_bounds.py)."""
    from config.db_bounds import bound_database_waits

    bound_database_waits("worker")


app.conf.beat_schedule = {
    # Re-nudge returns left pending (a lost publish, a dead worker): the database is the queue.
    # Each expires before the next is sent, so a stopped worker does not come back to a pile.
    "sweep-pending-returns": {
        "task": "casework.tasks.sweep_pending_returns",
        "schedule": 5.0,
        "options": {"expires": 5.0},
    },
    # Webhook deliveries whose retry is due, and any a lost message left behind.
    "deliver-webhooks": {
        "task": "webhooks.tasks.deliver_webhooks",
        "schedule": 10.0,
        "options": {"expires": 10.0},
    },
    "expire-stale-claims": {
        "task": "casework.tasks.expire_stale_claims",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    # The queue tally's triggers append a row per change; folding keeps it a few hundred rows.
    "fold-queue-tallies": {
        "task": "casework.tasks.fold_queue_tallies",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    "purge-idempotency-keys": {
        "task": "casework.tasks.purge_expired_idempotency_keys",
        "schedule": crontab(minute=17),
    },
    # Drift of the last week's returns against the active model's training data, once a day.
    "record-drift-snapshot": {
        "task": "insights.tasks.record_drift_snapshot",
        "schedule": crontab(minute=5, hour=2),
    },
    # A challenger from the week's labels; promoted only if it beats the active model.
    "retrain-model": {
        "task": "insights.tasks.retrain_model",
        "schedule": crontab(minute=30, hour=3, day_of_week="sunday"),
    },
}
