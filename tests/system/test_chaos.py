"""Chaos with real processes: a worker killed mid-batch while beat runs, Redis frozen while a
thousand returns come in, PostgreSQL restarted under a batch, a long-poll and intake, and a
worker's connection cut while it holds locks. After each, every return is decided exactly once,
every ledger balance is the sum of its entries, and the decisions feed goes on from its reader's
cursor with every decision once.

The module runs its own PostgreSQL, Redis, gunicorn, Celery worker and beat on free ports: the
suite's shared servers cannot be restarted under the other tests.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from budgets.models import LedgerAccount, LedgerEntry
from budgets.selectors import PORTFOLIO_DAYS_UNBALANCED_SQL
from casework.selectors import DECISION_HOURS_UNBALANCED_SQL
from config import devstack
from core.models import ApiClient
from intake.models import ReturnRequest
from scoring.models import Decision
from tests.system.conftest import wait_until
from tests.system.test_bare_clone import http

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]
# Waits are for conditions, polled against these deadlines; generous for two shared cores.
READY_TIMEOUT = 300
SETTLED_TIMEOUT = 300
MID_BATCH_TIMEOUT = 120
REDIS_FROZEN_SECONDS = 60
ANSWER_WITHIN_SECONDS = 2.0
WORKER_APP_NAME = "chaos-worker"
CATEGORIES = ("Clothing", "Electronics", "Home & Garden", "Beauty", "Toys")
PAYMENT_METHODS = ("Credit Card", "Debit Card", "PayPal", "Gift Card")

RETURNS = ReturnRequest._meta.db_table
DECISIONS = Decision._meta.db_table
ACCOUNTS = LedgerAccount._meta.db_table
ENTRIES = LedgerEntry._meta.db_table
CLIENTS = ApiClient._meta.db_table

COUNTS = Counter()


def progress(message):
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


def orders(prefix: str, n: int) -> list[dict]:
    """n returns spread over 60 customers, so batches share ledger accounts and their locks."""
    return [
        {
            "order_id": f"{prefix}-{i}",
            "customer_id": f"CHAOS-{i % 60}",
            "order_value": str(Decimal(15 + (i * 37) % 900) + Decimal("0.99")),
            "product_category": CATEGORIES[i % len(CATEGORIES)],
            "payment_method": PAYMENT_METHODS[i % len(PAYMENT_METHODS)],
            "days_since_purchase": i % 30,
        }
        for i in range(n)
    ]


class Stack:
    """PostgreSQL, Redis, gunicorn, a Celery worker and beat, all this module's to break."""

    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.account = devstack.service_account()
        self.pg_port, self.redis_port, self.web_port = (devstack.free_port() for _ in range(3))
        self.url = f"http://127.0.0.1:{self.web_port}"
        self.database_url = (
            f"postgres://{devstack.DB_USER}@127.0.0.1:{self.pg_port}/{devstack.DB_NAME}"
        )
        self.env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="tests.settings",
            DATABASE_URL=self.database_url,
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            MODEL_ARTIFACT_DIR=str(scratch / "models"),
            # The rates are not under test here, and 1,000 single submissions exceed them.
            API_RATE_SUBMIT="100000/minute",
            API_RATE_READ="100000/minute",
        )
        self.processes: dict[str, subprocess.Popen] = {}
        self.key = None

    # --- servers

    def start_postgres(self):
        self.processes["postgres"] = devstack.start_postgres(
            datadir=self.scratch / "postgres",
            port=self.pg_port,
            account=self.account,
            log=self.scratch / "postgres.log",
            durable=False,
        )

    def restart_postgres(self):
        devstack.stop([("postgres", self.processes.pop("postgres"))])
        self.start_postgres()

    def start(self):
        self.start_postgres()
        self.processes["redis"] = devstack.start_redis(
            datadir=self.scratch / "redis",
            port=self.redis_port,
            log=self.scratch / "redis.log",
            persistent=False,
        )
        self.manage("migrate", "--no-input")
        self.manage("train_model", "--data", str(settings.SHARED_DATASETS / "returns_normal.csv"))
        created = self.manage("create_api_client", "chaos", "--role", "submitter")
        self.key = created.strip().splitlines()[-1]
        self.processes["gunicorn"] = devstack.spawn(
            devstack.web_command(port=self.web_port, access_log=self.scratch / "access.log"),
            env=self.env,
            log=self.scratch / "gunicorn.log",
        )
        self.start_worker()
        self.processes["beat"] = devstack.spawn(
            devstack.beat_command(schedule=self.scratch / "beat-schedule"),
            env=self.env,
            log=self.scratch / "beat.log",
        )
        ready = wait_until(
            lambda: http("GET", f"{self.url}/readyz", timeout=5)[0] == 200,
            timeout=READY_TIMEOUT,
        )
        assert ready, f"/readyz not 200 in {READY_TIMEOUT}s; logs in {self.scratch}"

    def start_worker(self):
        # Named, so the tests can find its database sessions in pg_stat_activity.
        env = dict(self.env, DATABASE_URL=f"{self.database_url}?application_name={WORKER_APP_NAME}")
        self.processes["worker"] = devstack.spawn(
            devstack.worker_command(), env=env, log=self.scratch / "worker.log"
        )

    def kill_worker(self):
        worker = self.processes.pop("worker")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()

    def manage(self, *args) -> str:
        return subprocess.run(
            [str(devstack.VENV_BIN / "python"), "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=READY_TIMEOUT,
        ).stdout

    def stop(self):
        redis = self.processes.get("redis")
        if redis is not None and redis.poll() is None:
            redis.send_signal(signal.SIGCONT)
        order = ("postgres", "redis", "gunicorn", "worker", "beat")
        devstack.stop([(name, self.processes[name]) for name in order if name in self.processes])

    def assert_running(self):
        dead = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
        assert not dead, f"exited: {dead}; logs in {self.scratch}"

    # --- the desk, as a client and as an operator sees it

    def post(self, path, body, timeout=30):
        return http("POST", f"{self.url}{path}", key=self.key, body=body, timeout=timeout)

    def get(self, path, timeout=30):
        return http("GET", f"{self.url}{path}", key=self.key, timeout=timeout)

    def submit_batches(self, returns: list[dict], size=250) -> None:
        for start in range(0, len(returns), size):
            status, body = self.post(
                "/api/v1/returns/batch", {"returns": returns[start : start + size]}
            )
            assert status == 202, body

    def sql(self, query: str, params=()) -> list[tuple]:
        with psycopg.connect(self.database_url, autocommit=True, connect_timeout=10) as db:
            return db.execute(query, params).fetchall()

    def worker_in_batch(self) -> int | None:
        """The pid of a worker database session inside a writing transaction: one holding
        claimed returns and ledger accounts locked, its decisions not yet committed."""
        rows = self.sql(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
            " AND backend_xid IS NOT NULL",
            [WORKER_APP_NAME],
        )
        return rows[0][0] if rows else None

    def pending(self) -> int:
        return self.sql(f"SELECT count(*) FROM {RETURNS} WHERE status = 'pending'")[0][0]


class FeedReader:
    """A client following GET /api/v1/decisions with one cursor for the whole module."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.cursor = None
        self.decisions = Counter()

    def read(self) -> int:
        query = f"?limit=1000&after={self.cursor}" if self.cursor else "?limit=1000"
        status, page = self.stack.get(f"/api/v1/decisions{query}")
        assert status == 200, page
        for event in page["results"]:
            if event["event"] == "decision":
                self.decisions[event["return"]["order_id"]] += 1
        self.cursor = page["next"]
        return len(page["results"])

    def catch_up(self, order_ids: set[str]) -> None:
        def caught_up():
            while self.read():
                pass
            return order_ids <= self.decisions.keys()

        assert wait_until(caught_up, timeout=SETTLED_TIMEOUT), (
            f"the feed never showed {len(order_ids - self.decisions.keys())} decisions"
        )


@pytest.fixture(scope="module")
def stack():
    devstack.VAR.mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="chaos-", dir=devstack.VAR))
    started = time.monotonic()
    the_stack = Stack(scratch)
    try:
        devstack.own(scratch, the_stack.account)
        the_stack.start()
        progress(f"stack up in {time.monotonic() - started:.0f}s: {the_stack.url}")
        yield the_stack
    finally:
        the_stack.stop()
        progress(
            f"faults injected {COUNTS['faults']}, returns submitted {COUNTS['submitted']}, "
            f"lost {COUNTS['lost']}, decisions duplicated {COUNTS['duplicated']}; "
            f"{time.monotonic() - started:.0f}s in all"
        )
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="module")
def feed(stack):
    return FeedReader(stack)


def assert_settled(stack: Stack, feed: FeedReader, order_ids: set[str], *, fault: str) -> None:
    """None of `order_ids` is left undecided, none was decided twice, the ledger balances, and
    the feed reader's cursor shows each decision once."""
    stack.assert_running()
    assert wait_until(lambda: stack.pending() == 0, timeout=SETTLED_TIMEOUT), (
        f"{stack.pending()} returns still pending {SETTLED_TIMEOUT}s after: {fault}"
    )
    decided = dict(
        stack.sql(
            f"SELECT r.order_id, count(d.id) FROM {RETURNS} r"
            f" LEFT JOIN {DECISIONS} d ON d.return_request_id = r.id"
            f" WHERE r.order_id = ANY(%s) GROUP BY r.order_id",
            [list(order_ids)],
        )
    )
    lost = {order_id for order_id in order_ids if decided.get(order_id, 0) == 0}
    duplicated = sum(count - 1 for count in decided.values() if count > 1)
    feed.catch_up(order_ids - lost)
    fed_twice = {order_id: n for order_id, n in feed.decisions.items() if n > 1}
    COUNTS.update(faults=1, submitted=len(order_ids), lost=len(lost), duplicated=duplicated)
    progress(
        f"{fault}: {len(order_ids)} returns submitted, lost {len(lost)}, "
        f"decisions duplicated {duplicated}, fed twice {len(fed_twice)}"
    )
    assert not lost, f"never decided: {sorted(lost)[:10]}"
    assert duplicated == 0
    assert not fed_twice, f"the feed gave these decisions more than once: {fed_twice}"
    assert not stack.sql(f"SELECT order_id FROM {RETURNS} WHERE status = 'failed'")
    unbalanced = stack.sql(
        f"SELECT a.id, a.balance, coalesce(sum(e.amount), 0) FROM {ACCOUNTS} a"
        f" LEFT JOIN {ENTRIES} e ON e.account_id = a.id GROUP BY a.id, a.balance"
        f" HAVING a.balance <> coalesce(sum(e.amount), 0)"
    )
    assert not unbalanced, f"(account, balance, sum of entries): {unbalanced}"
    portfolio = stack.sql(PORTFOLIO_DAYS_UNBALANCED_SQL)
    assert not portfolio, f"(payment method, day, sum of entries, counter): {portfolio}"
    hours = stack.sql(DECISION_HOURS_UNBALANCED_SQL)
    assert not hours, f"(hour, counted from decisions, counters): {hours}"
    # The balances checked above are not all zero: the faults hit batches that booked money.
    assert stack.sql(f"SELECT count(*) FROM {ENTRIES}")[0][0] > 0


def wait_mid_batch(stack: Stack) -> int:
    pid = None

    def in_batch():
        nonlocal pid
        pid = stack.worker_in_batch()
        return pid is not None

    assert wait_until(in_batch, timeout=MID_BATCH_TIMEOUT, interval=0.01), (
        f"the worker never held a batch open within {MID_BATCH_TIMEOUT}s"
    )
    return pid


def test_worker_killed_mid_batch_loses_and_duplicates_nothing(stack, feed):
    returns = orders("KILL", 1000)
    stack.submit_batches(returns)
    wait_mid_batch(stack)
    stack.kill_worker()
    left = stack.pending()
    progress(f"worker SIGKILLed mid-batch with {left} returns pending; beat runs on")
    assert left > 0
    stack.assert_running()  # beat, alone, keeps nudging a queue no worker reads
    stack.start_worker()
    assert_settled(stack, feed, {r["order_id"] for r in returns}, fault="worker SIGKILL")


def test_api_answers_every_submission_within_2s_while_redis_is_frozen(stack, feed):
    returns = orders("FROZEN", 1000)
    redis = stack.processes["redis"]
    latencies = []

    def submit(order):
        started = time.monotonic()
        status, body = stack.post("/api/v1/returns", order, timeout=10)
        latencies.append(time.monotonic() - started)
        return order["order_id"], status, body

    redis.send_signal(signal.SIGSTOP)
    frozen_at = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(submit, returns))
        submitted_in = time.monotonic() - frozen_at
        started = time.monotonic()
        poll_status, _ = stack.get(f"/api/v1/returns/{returns[-1]['order_id']}?wait=5000")
        long_poll = time.monotonic() - started
        time.sleep(max(0.0, REDIS_FROZEN_SECONDS - (time.monotonic() - frozen_at)))
    finally:
        redis.send_signal(signal.SIGCONT)
    progress(
        f"Redis SIGSTOPped {time.monotonic() - frozen_at:.0f}s; 1,000 single POSTs from 8 "
        f"threads in {submitted_in:.0f}s, slowest {max(latencies):.2f}s; long-poll {long_poll:.2f}s"
    )
    refused = [(order_id, status, body) for order_id, status, body in answers if status != 202]
    assert not refused, refused[:5]
    assert max(latencies) < ANSWER_WITHIN_SECONDS
    assert poll_status == 200
    assert long_poll < ANSWER_WITHIN_SECONDS
    assert_settled(stack, feed, {r["order_id"] for r in returns}, fault="Redis SIGSTOP")


def test_postgres_restart_under_a_batch_a_long_poll_and_intake(stack, feed):
    batch = orders("RESTART-B", 750)
    stack.submit_batches(batch)
    trickle = orders("RESTART-T", 10_000)
    accepted, restarted, stop = set(), threading.Event(), threading.Event()
    answers_after_restart = Counter()

    def intake():
        for order in trickle:
            if stop.is_set():
                return
            status, _ = stack.post("/api/v1/returns", order, timeout=10)
            if status == 202:
                accepted.add(order["order_id"])
            if restarted.is_set():
                answers_after_restart[status] += 1

    polls = []

    def long_poll():
        while not stop.is_set():
            newest = max(accepted, key=lambda o: int(o.rsplit("-", 1)[1]), default=None)
            if newest is None:
                time.sleep(0.1)
                continue
            status, body = stack.get(f"/api/v1/returns/{newest}?wait=10000", timeout=20)
            polls.append((restarted.is_set(), status, body))

    threads = [threading.Thread(target=intake), threading.Thread(target=long_poll)]
    for thread in threads:
        thread.start()
    try:
        wait_mid_batch(stack)
        # Some of the trickle is in, and a long-poll is waiting on it.
        assert wait_until(lambda: len(accepted) >= 5, timeout=MID_BATCH_TIMEOUT)
        outage = time.monotonic()
        stack.restart_postgres()
        restarted.set()
        progress(f"PostgreSQL restarted in {time.monotonic() - outage:.1f}s")
        # Intake takes returns again, and a long-poll gets a decided return.
        assert wait_until(lambda: answers_after_restart[202] >= 20, timeout=SETTLED_TIMEOUT)
        assert wait_until(
            lambda: any(after and status == 200 for after, status, _ in polls),
            timeout=SETTLED_TIMEOUT,
        ), polls[-5:]
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    progress(
        f"after the restart: intake answers {dict(answers_after_restart)}; long-polls "
        f"{Counter(status for after, status, _ in polls if after)}"
    )
    assert_settled(
        stack, feed, {r["order_id"] for r in batch} | accepted, fault="PostgreSQL restart"
    )


def test_worker_cut_off_while_holding_locks_loses_and_duplicates_nothing(stack, feed):
    returns = orders("CUT", 1000)
    stack.submit_batches(returns)
    pid = wait_mid_batch(stack)
    [(terminated,)] = stack.sql("SELECT pg_terminate_backend(%s)", [pid])
    assert terminated
    progress(f"worker session {pid} terminated mid-batch with {stack.pending()} pending")
    assert_settled(stack, feed, {r["order_id"] for r in returns}, fault="pg_terminate_backend")
