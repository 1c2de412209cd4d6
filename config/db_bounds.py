"""Bounded waits in PostgreSQL for the serving processes.

A request or a worker that waits on a lock, runs a runaway statement, or sits idle inside an
open transaction (a worker cut off mid-batch) is stopped by the database, so it cannot hold
customer locks, or the decisions feed's snapshot horizon, for long. The web (wsgi.py) and the
Celery worker (celery_app.py) each set theirs; management commands run unbounded, since
migrations and backtests legitimately run long.
"""

from django.conf import settings
from django.db import connections


def database_wait_options(process: str) -> str:
    """libpq `options` setting this process's limits, e.g. "-c lock_timeout=5000 …"."""
    return " ".join(f"-c {name}={ms}" for name, ms in settings.DB_WAIT_LIMITS[process].items())


def bound_database_waits(process: str) -> None:
    """Every connection this process opens from now on carries `process`'s limits, and names
    the process in pg_stat_activity (application_name `returnsdesk-web`, `returnsdesk-worker`)."""
    options = database_wait_options(process)
    for connection in connections.all(initialized_only=True):
        connection.close()  # reconnects with the limits on next use
    for alias in connections:
        # The same dict every connection of the alias is built from.
        connection_options = connections.settings[alias].setdefault("OPTIONS", {})
        connection_options["options"] = options
        connection_options.setdefault("application_name", f"returnsdesk-{process}")
