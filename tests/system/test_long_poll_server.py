"""GET /api/v1/returns/{id}?wait= under the web server `make run` and deploy/ start: a waiting
request holds no thread of a pool and no database connection. Far more requests wait at once
than the threaded server had threads, and than the web processes have pooled connections (2 ×
16); the server answers others meanwhile, and each wait answers once its decision commits."""

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from django.conf import settings

from casework.constants import LONG_POLL_MAX_MS
from casework.services.pipeline import returns_decide_pending
from intake.models import ReturnRequest
from tests.casework.test_api_returns_validation import VALID
from tests.system.conftest import WebProcess, wait_until

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# The threaded server served 2 processes × 8 threads: 16 waits took every thread it had.
WAITS = 64
WAIT_MS = LONG_POLL_MAX_MS  # 10 s: all of it is left once every wait is open


def http(method, url, *, key, body=None, timeout):
    request = urllib.request.Request(url, method=method, data=body and json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except OSError as exc:  # not answering yet: gunicorn listens before its workers have booted
        return None, str(exc)


def threads_and_rss(pids: list[int]) -> tuple[int, float]:
    """The processes' threads, and their resident memory in MB."""
    threads = sum(len(list(Path(f"/proc/{pid}/task").iterdir())) for pid in pids)
    rss_kb = sum(
        int(line.split()[1])
        for pid in pids
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    return threads, rss_kb / 1024


def test_many_waits_hold_no_thread_and_each_answers_on_its_decision(
    submitter, active_model, tmp_path
):
    web = WebProcess(log_dir=tmp_path, env={"API_CONCURRENT_WAITS_PER_KEY": str(WAITS)}).start()
    try:
        assert wait_until(
            lambda: http("GET", f"{web.url}/healthz", key=submitter.key, timeout=5)[0] == 200,
            timeout=60,
        ), (tmp_path / "web.log").read_text()[-3000:]
        order_ids = [f"ORD-WAIT-{n}" for n in range(WAITS)]
        batch = [dict(VALID, order_id=o, customer_id=f"CUST-{o}") for o in order_ids]
        status, _ = http(
            "POST",
            f"{web.url}/api/v1/returns/batch",
            key=submitter.key,
            body={"returns": batch},
            timeout=30,
        )
        assert status == 202
        # No worker runs: the returns stay pending until the test decides them.
        answered = []
        lock = threading.Lock()

        def wait(order_id):
            result = http(
                "GET",
                f"{web.url}/api/v1/returns/{order_id}?wait={WAIT_MS}",
                key=submitter.key,
                timeout=WAIT_MS / 1000 + 30,
            )
            with lock:
                answered.append(order_id)
            return result

        slots = redis.Redis.from_url(settings.REDIS_URL)
        idle = threads_and_rss(web.worker_pids())
        with ThreadPoolExecutor(WAITS) as pool:
            waits = [pool.submit(wait, order_id) for order_id in order_ids]
            assert wait_until(lambda: slots.zcard(f"long-poll:{submitter.pk}") == WAITS, timeout=60)
            # Every wait is open; the server still answers a read and a submission.
            status, body = http(
                "GET", f"{web.url}/api/v1/returns/{order_ids[0]}", key=submitter.key, timeout=10
            )
            assert (status, body["status"]) == (200, "pending")
            status, _ = http(
                "POST",
                f"{web.url}/api/v1/returns",
                key=submitter.key,
                body=dict(VALID, order_id="ORD-LATE", customer_id="CUST-LATE"),
                timeout=10,
            )
            assert status == 202
            waiting = threads_and_rss(web.worker_pids())
            assert answered == []

            assert returns_decide_pending() == WAITS + 1
            results = [future.result() for future in waits]

        # Django gives each request in flight a thread for its synchronous steps, parked while the
        # wait awaits: memory, not a pool's thread that another request needs.
        print(
            f"\nweb workers: {idle[0]} threads, {idle[1]:.0f} MB idle; {waiting[0]} threads, "
            f"{waiting[1]:.0f} MB with {WAITS} waits open"
        )
        assert {status for status, _ in results} == {200}
        assert all(body["status"] != "pending" and body["decision"] for _, body in results)
        decided = ReturnRequest.objects.filter(order_id__in=order_ids, decision__isnull=False)
        assert decided.count() == WAITS
        assert slots.zcard(f"long-poll:{submitter.pk}") == 0
    finally:
        web.stop()
