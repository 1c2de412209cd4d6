"""A fresh, migrated database for backtests and benchmarks, dropped afterwards.

Commands that must not touch live data (replay, bench_queue) run inside it.
"""

import contextlib
import os
import time

from django.db import connection


@contextlib.contextmanager
def scratch_database(*, purpose: str, say=print):
    original = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})
    # The process id keeps two runs started in the same second apart.
    name = f"{original}_{purpose}_{int(time.time())}_{os.getpid()}"
    connection.settings_dict["TEST"]["NAME"] = name
    say(f"creating a scratch database for the {purpose} …")
    try:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        yield
    finally:
        # Interrupted before Django switched to the scratch database, there is nothing of ours
        # to drop, and "dropping the test database" would name the live one.
        if connection.settings_dict["NAME"] == name:
            connection.creation.destroy_test_db(original, verbosity=0)
