"""A worker process keeps its database connection from task to task, as a web process keeps one
from request to request, and drops it after a task that failed."""

import pytest
from celery import states
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection

from config.celery_app import (
    app,
    database_connections_checked,
    database_connections_dropped_after_failure,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class _Task:
    class request:  # noqa: N801  (the shape of a Celery task's request)
        is_eager = False


def run_task(state: str) -> int:
    """The signals around a task, as the worker sends them: Celery's fixup's, then the desk's."""
    fixup = DjangoWorkerFixup(app)
    fixup.on_task_prerun(sender=_Task)
    database_connections_checked()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fixup.on_task_postrun(sender=_Task)
    database_connections_dropped_after_failure(state=state)
    return pid


def test_a_task_that_succeeded_leaves_the_connection_to_the_next():
    connection.close()
    max_age = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 60  # as the worker's: kept a minute between uses
    try:
        first = run_task(states.SUCCESS)
        assert connection.connection is not None
        assert run_task(states.SUCCESS) == first
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = max_age
        connection.close()


def test_a_task_that_failed_leaves_no_connection_behind():
    run_task(states.FAILURE)
    assert connection.connection is None
