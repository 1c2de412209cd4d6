"""Per-key API limits against the real Redis: request rates by scope, and the cap on concurrent
long-polls, which holds across threads and processes and is given back on every exit."""

import logging
import os
import subprocess
import sys
import threading
import time

import pytest
import redis
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from casework.api import limits
from casework.api.views import returns as returns_views
from casework.selectors import return_get_for_client
from core.choices import ApiRole
from core.services.api_clients import api_client_create
from intake.choices import ReturnStatus
from tests.casework.test_api_returns_validation import VALID
from tests.factories import ReturnRequestFactory

NOWHERE = "redis://127.0.0.1:9/0"  # nothing listens there: Redis is down


@pytest.fixture(autouse=True)
def fresh_counts():
    """Each test starts with no counts: ids repeat when the test database is made anew, and a
    Redis that outlives it would still hold an earlier run's counts for the same ids."""
    connection_ = redis.Redis.from_url(settings.REDIS_URL)
    for pattern in ("api-limits:*", "long-poll:*"):
        for key in connection_.scan_iter(pattern):
            connection_.delete(key)
    yield
    connection_.close()


@pytest.fixture
def rates(settings):
    """Small rates, to reach them in a test; an hour's window, so none ends mid-test."""

    def set_rates(**scopes):
        rest = dict(settings.REST_FRAMEWORK)
        rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], **scopes}
        settings.REST_FRAMEWORK = rest

    return set_rates


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        **settings.CACHES,
        "api_limits": {**settings.CACHES["api_limits"], "LOCATION": NOWHERE},
    }


def key_client(key: str) -> APIClient:
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return http


def slots_held(client) -> int:
    return redis.Redis.from_url(settings.REDIS_URL).zcard(f"long-poll:{client.pk}")


# --- Rates ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_submitting_past_the_rate_gets_429_with_retry_after_in_the_api_error_shape(api, rates):
    rates(submit="2/hour")
    for order in ("ORD-1", "ORD-2"):
        response = api.post("/api/v1/returns", {**VALID, "order_id": order}, format="json")
        assert response.status_code == 202

    response = api.post("/api/v1/returns/batch", {"returns": [VALID]}, format="json")

    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert body["errors"] == {}
    assert "throttled" in body["detail"]
    assert 1 <= int(response["Retry-After"]) <= 3600


@pytest.mark.django_db
def test_each_scope_and_each_key_is_counted_apart(api, labeler_api, rates):
    rates(submit="1/hour", read="3/hour", labels="1/hour")
    assert api.post("/api/v1/returns", VALID, format="json").status_code == 202
    assert api.post("/api/v1/returns", VALID, format="json").status_code == 429

    # Reading still works: its own count.
    assert api.get("/api/v1/returns/ORD-1").status_code == 200
    assert api.get("/api/v1/decisions").status_code == 200
    label = {
        "order_id": "ORD-1",
        "is_fraud": True,
        "source": "chargeback",
        "observed_at": "2026-01-05T10:00:00Z",
    }
    assert labeler_api.post("/api/v1/labels", label, format="json").status_code in (200, 201)
    assert labeler_api.post("/api/v1/labels", label, format="json").status_code == 429
    assert api.get("/api/v1/returns/ORD-1").status_code == 200
    assert api.get("/api/v1/returns/ORD-1").status_code == 429

    # Another retailer's key is untouched by this one's use.
    _, other_key = api_client_create(name="other-shop", role=ApiRole.SUBMITTER)
    other = key_client(other_key)
    assert other.post("/api/v1/returns", VALID, format="json").status_code == 202
    assert other.get("/api/v1/returns/ORD-1").status_code == 200


@pytest.mark.django_db
def test_reviewer_keys_are_limited_on_case_reads_and_verdicts(rates):
    rates(read="1/hour", verdicts="1/hour")
    _, key = api_client_create(name="integration", role=ApiRole.REVIEWER)
    reviewer = key_client(key)
    assert reviewer.get("/api/v1/cases").status_code == 200
    assert reviewer.get("/api/v1/cases").status_code == 429
    assert reviewer.post("/api/v1/cases/999999/claim").status_code == 404
    assert reviewer.post("/api/v1/cases/999999/claim").status_code == 429


@pytest.mark.django_db
def test_the_default_rates_take_a_retailers_batches_of_a_thousand(api):
    batch = {"returns": [{**VALID, "order_id": f"ORD-{n}"} for n in range(1000)]}
    for _ in range(5):  # several full batches inside a minute
        assert api.post("/api/v1/returns/batch", batch, format="json").status_code == 202


@pytest.mark.django_db
def test_rates_go_unchecked_and_logged_while_redis_is_down(api, rates, redis_down, caplog):
    rates(submit="1/hour")
    caplog.set_level(logging.WARNING, logger="casework.api.limits")
    started = time.monotonic()

    statuses = [
        api.post("/api/v1/returns", {**VALID, "order_id": f"ORD-{n}"}, format="json").status_code
        for n in range(3)
    ]

    assert statuses == [202, 202, 202]
    assert time.monotonic() - started < 5
    assert "API rate limits unchecked: Redis unreachable" in caplog.text


# --- Long-polls -------------------------------------------------------------------------------


def _timed_get(key: str, path: str, results: list, start: threading.Barrier):
    http = key_client(key)
    start.wait()
    began = time.monotonic()
    try:
        response = http.get(path)
        results.append(
            (time.monotonic() - began, response.status_code, response.get("Long-Poll-Skipped"))
        )
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_only_the_capped_number_of_concurrent_waits_wait_the_rest_answer_at_once(
    submitter, settings
):
    settings.API_CONCURRENT_WAITS_PER_KEY = 4
    pending = ReturnRequestFactory(client=submitter)
    path = f"/api/v1/returns/{pending.order_id}?wait=3000"
    results, start = [], threading.Barrier(10)
    threads = [
        threading.Thread(target=_timed_get, args=(submitter.key, path, results, start))
        for _ in range(10)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    print("\n10 concurrent ?wait=3000 with one key, cap 4 (seconds, status, Long-Poll-Skipped):")
    for elapsed, status, skipped in sorted(results):
        print(f"  {elapsed:5.2f}s  {status}  {skipped or '-'}")
    waited = [r for r in results if r[2] is None]
    skipped = [r for r in results if r[2] is not None]
    assert {status for _, status, _ in results} == {200}
    assert len(waited) == 4
    assert all(elapsed >= 2.9 for elapsed, _, _ in waited)
    assert len(skipped) == 6
    assert {reason for _, _, reason in skipped} == {"limit"}
    assert all(elapsed < 1.5 for elapsed, _, _ in skipped)
    # Every slot came back: the next wait waits.
    assert slots_held(submitter) == 0
    began = time.monotonic()
    again = key_client(submitter.key).get(f"/api/v1/returns/{pending.order_id}?wait=300")
    assert "Long-Poll-Skipped" not in again
    assert time.monotonic() - began >= 0.3


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_wait_cap_holds_across_processes(submitter, settings):
    settings.API_CONCURRENT_WAITS_PER_KEY = 2
    pending = ReturnRequestFactory(client=submitter)
    path = f"/api/v1/returns/{pending.order_id}"
    results, start = [], threading.Barrier(2)
    threads = [
        threading.Thread(
            target=_timed_get, args=(submitter.key, f"{path}?wait=6000", results, start)
        )
        for _ in range(2)
    ]
    # Another process, as another gunicorn worker would be, sees this one's waits. It starts
    # (slowly, under load) before the waits begin, then asks once they are held.
    db = settings.DATABASES["default"]
    script = (
        "import django; django.setup();"
        "from django.test.utils import setup_test_environment; setup_test_environment();"
        "from rest_framework.test import APIClient;"
        "http = APIClient(); http.credentials(HTTP_AUTHORIZATION='Bearer ' + sys.argv[1]);"
        "print('ready', flush=True); sys.stdin.readline();"
        "r = http.get(sys.argv[2]); print(r.status_code, r.get('Long-Poll-Skipped'))"
    )
    other = subprocess.Popen(
        [sys.executable, "-c", "import sys;" + script, submitter.key, f"{path}?wait=6000"],
        cwd=settings.BASE_DIR,
        env=dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="tests.settings",
            DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            API_CONCURRENT_WAITS_PER_KEY="2",
        ),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert other.stdout.readline().strip() == "ready", other.stderr.read()

    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while slots_held(submitter) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert slots_held(submitter) == 2

    stdout, stderr = other.communicate("go\n", timeout=60)
    for thread in threads:
        thread.join()

    assert other.returncode == 0, stderr
    assert stdout.split()[-2:] == ["200", "limit"]
    assert [reason for _, _, reason in results] == [None, None]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_wait_that_fails_answers_the_return_as_first_read_and_gives_its_slot_back(
    api, submitter, settings, monkeypatch, caplog
):
    settings.API_CONCURRENT_WAITS_PER_KEY = 1
    pending = ReturnRequestFactory(client=submitter)
    reads = []

    def failing_on_the_second_read(**kwargs):
        reads.append(kwargs)
        if len(reads) == 2:
            raise RuntimeError("the database went away mid-wait")
        return return_get_for_client(**kwargs)

    monkeypatch.setattr(returns_views, "return_get_for_client", failing_on_the_second_read)
    failed = api.get(f"/api/v1/returns/{pending.order_id}?wait=2000")
    monkeypatch.undo()

    assert failed.status_code == 200
    assert failed.json()["status"] == "pending"
    assert "long-poll answered early: reading the return failed" in caplog.text
    assert slots_held(submitter) == 0
    again = api.get(f"/api/v1/returns/{pending.order_id}?wait=200")
    assert again.status_code == 200
    assert "Long-Poll-Skipped" not in again


@pytest.mark.django_db
def test_no_slot_is_taken_for_a_return_already_decided_or_no_wait(api, submitter, settings):
    settings.API_CONCURRENT_WAITS_PER_KEY = 0
    decided = ReturnRequestFactory(client=submitter, status=ReturnStatus.DECIDED)
    pending = ReturnRequestFactory(client=submitter)
    assert "Long-Poll-Skipped" not in api.get(f"/api/v1/returns/{decided.order_id}?wait=2000")
    assert "Long-Poll-Skipped" not in api.get(f"/api/v1/returns/{pending.order_id}")
    skipped = api.get(f"/api/v1/returns/{pending.order_id}?wait=2000")
    assert skipped["Long-Poll-Skipped"] == limits.SKIPPED_AT_LIMIT


@pytest.mark.django_db
def test_a_wait_answers_at_once_while_redis_is_down(api, submitter, redis_down, caplog):
    caplog.set_level(logging.WARNING, logger="casework.api.limits")
    pending = ReturnRequestFactory(client=submitter)
    began = time.monotonic()

    response = api.get(f"/api/v1/returns/{pending.order_id}?wait=3000")

    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    assert response["Long-Poll-Skipped"] == limits.SKIPPED_WITHOUT_REDIS
    assert time.monotonic() - began < 2
    assert "long-poll answered at once: Redis unreachable" in caplog.text
