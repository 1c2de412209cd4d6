"""PostgreSQL stops the waits the serving processes must not sit in: on a lock, in a runaway
statement, idle inside a transaction."""

import time

import pytest
from django.db import InternalError, OperationalError, connections
from django.test import override_settings

from config.db_bounds import bound_database_waits, database_wait_options

SHORT = {
    "lock_timeout": 200,
    "statement_timeout": 300,
    "idle_in_transaction_session_timeout": 300,
}


@pytest.fixture
def bounded():
    """A fresh connection to the test database carrying the web's limits, shortened."""
    opened = []

    def connect():
        with override_settings(DB_WAIT_LIMITS={"web": SHORT}):
            options = database_wait_options("web")
        connection = connections.create_connection("default")
        connection.settings_dict = {
            **connection.settings_dict,
            "OPTIONS": {**connection.settings_dict.get("OPTIONS", {}), "options": options},
        }
        opened.append(connection)
        return connection

    yield connect
    for connection in opened:
        connection.close()


@pytest.mark.django_db
def test_a_lock_wait_is_cut_off_at_the_lock_timeout(bounded):
    holder, waiter = bounded(), bounded()
    with holder.cursor() as cursor:
        cursor.execute("BEGIN; SELECT pg_advisory_xact_lock(4242)")
        started = time.monotonic()
        with pytest.raises(OperationalError, match="lock timeout"), waiter.cursor() as blocked:
            blocked.execute("SELECT pg_advisory_lock(4242)")
        assert time.monotonic() - started < 2
        cursor.execute("ROLLBACK")


@pytest.mark.django_db
def test_a_runaway_statement_is_cancelled(bounded):
    with pytest.raises(OperationalError, match="statement timeout"), bounded().cursor() as cursor:
        cursor.execute("SELECT pg_sleep(5)")


@pytest.mark.django_db
def test_a_session_idle_inside_a_transaction_is_ended(bounded):
    connection = bounded()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN; SELECT 1")
        time.sleep(1.0)
        with pytest.raises(InternalError, match="idle-in-transaction timeout"):
            cursor.execute("SELECT 1")


def test_web_and_worker_limits_differ_and_reach_every_connection_made_after(settings):
    assert database_wait_options("web") != database_wait_options("worker")
    assert "-c lock_timeout=" in database_wait_options("worker")
    before = dict(connections.settings["default"].get("OPTIONS", {}))
    try:
        bound_database_waits("worker")
        assert connections["default"].settings_dict["OPTIONS"]["options"] == (
            database_wait_options("worker")
        )
        assert connections["default"].settings_dict["OPTIONS"]["application_name"] == (
            "returnsdesk-worker"
        )
    finally:
        connections.settings["default"]["OPTIONS"] = before
