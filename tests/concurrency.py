"""Runs several callables at the same moment, as concurrent workers or reviewers would."""

import threading
import time
from collections.abc import Callable

from django.db import connection


def run_concurrently(*calls: Callable, timeout: float = 120.0) -> list:
    """Starts every call in its own thread, released together by a barrier, and returns their
    results in the order of the calls.

    Each thread opens its own database connection and closes it when its call ends, so a test
    using this needs `django_db(transaction=True)`: the threads must see committed rows. A call
    that raises does not vanish with its thread: every exception is raised together, as an
    ExceptionGroup, once all calls have ended. A call still running after `timeout` seconds
    (a deadlock) fails the test instead of hanging it.
    """
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)
    errors: list[Exception | None] = [None] * len(calls)

    def run(index: int, call: Callable) -> None:
        try:
            barrier.wait(timeout)
            results[index] = call()
        except Exception as exc:
            errors[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, call), name=f"concurrent-{index}", daemon=True)
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0))
    stuck = [thread.name for thread in threads if thread.is_alive()]
    if stuck:
        raise TimeoutError(f"still running after {timeout:.0f}s: {', '.join(stuck)}")
    failed = [error for error in errors if error is not None]
    if failed:
        raise ExceptionGroup(f"{len(failed)} of {len(calls)} concurrent calls raised", failed)
    return results
