"""A fresh, migrated database for backtests and benchmarks, dropped afterwards.

Commands that must not touch live data (replay, bench_queue) run inside it.
"""

import contextlib
import time

from django.db import connection


@contextlib.contextmanager
def scratch_database(*, purpose: str, say=print):
    original = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})
    connection.settings_dict["TEST"]["NAME"] = f"{original}_{purpose}_{int(time.time())}"
    say(f"creating a scratch database for the {purpose} …")
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)
