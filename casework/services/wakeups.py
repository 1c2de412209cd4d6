"""Waking the requests that wait for a decision (GET /api/v1/returns/{id}?wait=) the moment it
commits, instead of having each re-read the database on a timer.

The worker sends PostgreSQL a NOTIFY with the ids it decided, in the deciding transaction, so
it is delivered on commit and never for a batch that rolled back. Each web process keeps one
listening connection, on a thread of its own, and sets the events the requests waiting for those
ids await on their event loop. A waiter still re-reads the return every FALLBACK_POLL_SECONDS, so
a lost listener (the database restarted, say) slows a wait down but never strands it.
"""

import asyncio
import logging
import threading
from collections import defaultdict
from contextlib import asynccontextmanager

import psycopg
from django.db import connection, connections

logger = logging.getLogger(__name__)

CHANNEL = "returns_decided"
# NOTIFY payloads are limited to 8,000 bytes; ids go in chunks well under it.
IDS_PER_NOTIFY = 500
FALLBACK_POLL_SECONDS = 1.0
# After the listening connection fails, try again after this long.
RELISTEN_AFTER_SECONDS = 2.0
# How often the listening thread looks up from the connection to see whether to stop.
STOP_CHECK_SECONDS = 1.0


def returns_decided_notify(return_ids: list[int]) -> None:
    """Tells every web process these returns are decided, once the transaction commits."""
    with connection.cursor() as cursor:
        for start in range(0, len(return_ids), IDS_PER_NOTIFY):
            chunk = return_ids[start : start + IDS_PER_NOTIFY]
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, ",".join(map(str, chunk))])


class _Listener:
    """One per process: a thread on a LISTEN connection, and the events of the waiting requests
    by return id, each with the event loop it is awaited on."""

    def __init__(self):
        self._lock = threading.Lock()
        self._waiting: dict[int, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = (
            defaultdict(set)
        )
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @asynccontextmanager
    async def waiting_for(self, return_id: int):
        """An event set when `return_id` is decided; check the return after entering, since a
        decision that committed just before is not announced again."""
        self._ensure_running()
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiting[return_id].add(waiter)
        try:
            yield waiter[1]
        finally:
            with self._lock:
                waiters = self._waiting.get(return_id)
                if waiters is not None:
                    waiters.discard(waiter)
                    if not waiters:
                        del self._waiting[return_id]

    def _ensure_running(self):
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(
                    target=self._listen_forever, name="decision-listener", daemon=True
                )
                self._thread.start()

    def stop(self):
        """Closes the listening connection (a test database cannot be dropped while it is open);
        the next wait starts listening again."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=STOP_CHECK_SECONDS * 5)

    def _listen_forever(self):
        while not self._stopping.is_set():
            try:
                self._listen()
            except Exception:
                logger.warning(
                    "decision listener lost its connection; waits poll until it is back",
                    exc_info=True,
                )
            self._stopping.wait(RELISTEN_AFTER_SECONDS)

    def _listen(self):
        params = connections["default"].get_connection_params()
        with psycopg.connect(**params, autocommit=True) as listening:
            listening.execute(f"LISTEN {CHANNEL}")
            while not self._stopping.is_set():
                for notify in listening.notifies(timeout=STOP_CHECK_SECONDS):
                    self._wake(int(part) for part in notify.payload.split(",") if part)

    def _wake(self, return_ids):
        with self._lock:
            for return_id in return_ids:
                for loop, event in self._waiting.get(return_id, ()):
                    # asyncio's events belong to their loop: set it from there.
                    loop.call_soon_threadsafe(event.set)


_listener = _Listener()
waiting_for_decision = _listener.waiting_for
listener_stop = _listener.stop
