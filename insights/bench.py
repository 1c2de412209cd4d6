"""The measurements behind `make bench` (and `manage.py bench_latency`): each runs against a
running desk's HTTP API or in a scratch database, and returns its figures."""

import cProfile
import csv
import io
import itertools
import os
import pstats
import re
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from tqdm import tqdm

from budgets.models import LedgerAccount, PortfolioDay
from casework.bench import pages_plans, queue_bench_seed
from casework.choices import FeedKind
from casework.models import FeedEvent, ReviewCase
from casework.services.pipeline import returns_decide_pending
from core.constants import GROUP_LEAD
from core.scratch_db import scratch_database
from core.services.api_clients import api_client_create
from insights.live_day import JsonApi
from insights.services.replay import replay_model_copy, replay_rows_read, replay_run, replay_start
from intake.choices import ReturnStatus
from intake.models import ReturnRequest
from intake.services.intake import return_submit_batch
from intake.validation import return_payloads_validate
from ml.generate import own_returns
from ml.history import with_desk_view
from ml.schema import FEATURES
from scoring.services.models import model_active

CATEGORIES = ("Clothing", "Electronics", "Home & Garden", "Beauty", "Toys")
PAYMENT_METHODS = ("Credit Card", "Debit Card", "PayPal", "Gift Card")
LOCK_SAMPLE_SECONDS = 0.05
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _ordinary_return(*, order_id: str, customer_id: str, n: int) -> dict:
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "order_value": f"{15 + (n * 37) % 400}.99",
        "product_category": CATEGORIES[n % len(CATEGORIES)],
        "payment_method": PAYMENT_METHODS[n % len(PAYMENT_METHODS)],
        "return_ratio": 0.1,
        "returns_velocity_30d": n % 2,
        "days_since_purchase": 1 + n % 30,
    }


def model_scoring_rates(*, calls: int) -> dict[str, float]:
    """The active model's own rate on the generator's ordinary returns (as `python -m ml.bench`
    measures it): single-row p50/p99 and rows/s in batches of 1,000."""
    from ml.bench import scoring_rates  # the benchmark module, not part of the desk's path

    _, bundle = model_active()
    rows = with_desk_view(own_returns(scenario="normal"))[list(FEATURES)].to_dict("records")
    return scoring_rates(bundle, rows, calls)


def single_return_latencies(
    *, url: str, key: str, count: int, progress: bool = True
) -> tuple[list[float], int, dict]:
    """Submits `count` ordinary returns of new customers one after another, each followed by
    `GET ?wait=` until its decision is in hand. Returns the milliseconds of each, how many
    were not decided within the wait, and the median milliseconds of each step on the way
    (single_return_steps)."""
    api = JsonApi(base_url=url, key=key, who="submitter")
    run = uuid.uuid4().hex[:8]
    timings, undecided, sent = [], 0, {}
    for n in tqdm(range(count), desc="single returns", unit="return", disable=not progress):
        order_id = f"LAT-{run}-{n}"
        body = _ordinary_return(order_id=order_id, customer_id=order_id, n=n)
        # Past the client's submission rate (make run's servers keep their limits) the POST is
        # refused; the return is then sent again once the window moves, and timed from there.
        while True:
            began, sent[order_id] = time.perf_counter(), time.time()
            status, _ = api.call("POST", "/api/v1/returns", body=body, allow=(429,))
            if status != 429:
                break
            time.sleep(1)
        _, answer = api.call("GET", f"/api/v1/returns/{order_id}", query={"wait": 10000})
        timings.append((time.perf_counter() - began) * 1000)
        undecided += answer["decision"] is None
    return timings, undecided, single_return_steps(sent=sent, timings=timings)


def single_return_steps(*, sent: dict, timings: list[float]) -> dict:
    """Median milliseconds of each step of a single return, from the times the desk recorded
    (same machine, same clock): sent → stored by intake (`received_at`), → a worker began
    deciding it (`decided_at`), → its decision's rows written (its feed event's `created_at`),
    → the client holding the answer (the rest: commit, wake-up, the long-poll's answer)."""
    rows = FeedEvent.objects.filter(
        return_request__order_id__in=list(sent), kind=FeedKind.DECISION
    ).values_list(
        "return_request__order_id",
        "return_request__received_at",
        "return_request__decision__decided_at",
        "created_at",
    )
    total_of = dict(zip(sent, timings, strict=True))
    steps = {"intake": [], "to a worker": [], "deciding": [], "commit and answer": []}
    for order_id, received, began, written in rows:
        marks = [sent[order_id], received.timestamp(), began.timestamp(), written.timestamp()]
        spans = [(b - a) * 1000 for a, b in itertools.pairwise(marks)]
        for name, span in zip(steps, [*spans, total_of[order_id] - sum(spans)], strict=True):
            steps[name].append(span)
    return {name: float(np.median(spans)) for name, spans in steps.items() if spans}


def process_tree(pids: list[int]) -> list[int]:
    """`pids` and all their live descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], list(pids)
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def rss_megabytes(pids: list[int]) -> list[float]:
    """Resident memory of each process in `pids` and of all their descendants, in MB."""
    found = []
    for pid in process_tree(pids):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                found.append(int(line.split()[1]) / 1024)
    return found


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user and system) spent so far by `pids` and their descendants, including those
    that already ended (a recycled pool child's time stays in its parent's count)."""
    ticks = 0
    for pid in process_tree(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, cutime, cstime: fields 14-17 of proc(5); [0] here is field 3.
        ticks += sum(int(value) for value in fields[11:15])
    return ticks / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU time every core of the machine spent on anything but idling, so far."""
    # /proc/stat's first line: user nice system idle iowait irq softirq steal …
    user, nice, system, idle, iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


@dataclass
class CpuShares:
    """CPU seconds each named process tree, and the machine in all, spent over a span."""

    by_process: dict[str, float]
    machine: float

    def per_item_ms(self, items: int) -> dict[str, float]:
        """Milliseconds of a core per item for each process, and for the rest of the machine
        (Redis, beat, the clients posting, the system)."""
        shares = {name: spent * 1000 / items for name, spent in self.by_process.items()}
        rest = max(self.machine - sum(self.by_process.values()), 0.0)
        return {**shares, "rest of the machine": rest * 1000 / items}


class CpuMeter:
    """Started on named process trees; `shares()` is what they and the machine spent since."""

    def __init__(self, processes: dict[str, list[int]]):
        self.processes = processes
        self.began = {name: cpu_seconds(pids) for name, pids in processes.items()}
        self.busy = machine_busy_seconds()

    def shares(self) -> CpuShares:
        return CpuShares(
            by_process={
                name: cpu_seconds(pids) - self.began[name] for name, pids in self.processes.items()
            },
            machine=machine_busy_seconds() - self.busy,
        )


class LockWaitSampler(threading.Thread):
    """Samples pg_stat_activity while it runs: of the desk's active sessions, how many wait for
    a lock (wait_event_type = 'Lock'), and which; and how many sessions sit idle in a
    transaction (a worker holding its locks while Python works). The share is lock-waiting
    samples over active ones."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stopping = threading.Event()
        self.active = self.waiting = self.samples = self.idle_in_transaction = 0
        self.lock_types = Counter()

    def run(self):
        try:
            with connection.cursor() as cursor:
                while not self.stopping.is_set():
                    cursor.execute(
                        "SELECT state = 'active', wait_event_type IS NOT DISTINCT FROM 'Lock',"
                        " wait_event, query FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        " AND state IN ('active', 'idle in transaction')"
                    )
                    rows = cursor.fetchall()
                    sessions = [
                        (locked, event, query) for active, locked, event, query in rows if active
                    ]
                    self.idle_in_transaction += len(rows) - len(sessions)
                    self.active += len(sessions)
                    self.waiting += sum(locked for locked, _, _ in sessions)
                    self.lock_types.update(
                        self._lock_name(event, query) for locked, event, query in sessions if locked
                    )
                    self.samples += 1
                    self.stopping.wait(LOCK_SAMPLE_SECONDS)
        finally:
            connection.close()

    @staticmethod
    def _lock_name(event: str, query: str) -> str:
        # The desk's advisory locks name what they serialise in the statement's text; a row
        # lock shows by the table of the statement waiting on it.
        for name in ("intake", "idempotency", "outcome"):
            if f"'{name}:" in query:
                return f"{name} advisory lock"
        for model in (PortfolioDay, LedgerAccount, ReviewCase, ReturnRequest):
            if model._meta.db_table in query:
                return f"{model._meta.verbose_name} row lock ({event})"
        return event

    @property
    def share(self) -> float | None:
        return self.waiting / self.active if self.active else None


@dataclass
class Throughput:
    returns: int
    intake_seconds: float
    decided_seconds: float
    lock_wait_share: float | None
    lock_types: Counter
    busy_sessions: float
    idle_in_transaction: float
    cpu: CpuShares | None = None

    @property
    def intake_rate(self) -> float:
        return self.returns / self.intake_seconds

    @property
    def end_to_end_rate(self) -> float:
        return self.returns / self.decided_seconds


def batch_throughput(
    *,
    url: str,
    keys: list[str],
    returns: int,
    batch: int,
    processes: dict[str, list[int]] | None = None,
    timeout: float = 900.0,
    progress: bool = True,
) -> Throughput:
    """One thread per key (a retailer each) posts its share of `returns` ordinary returns in
    batches of `batch`, all at once; the clock runs from the first POST to the last answered
    (intake) and to the last decided. A retailer's customers return three times each, in
    different batches, so batches share ledger accounts as real traffic does. The CPU that the
    `processes` (name → root pids) and the whole machine spent over that span is measured too."""
    clients = len(keys)
    run = uuid.uuid4().hex[:8]
    lanes = []
    for lane in range(clients):
        count = returns // clients + (lane < returns % clients)
        customers = max(count // 3, 1)
        bodies = [
            _ordinary_return(
                order_id=f"TP-{run}-{lane}-{n}", customer_id=f"TP-{run}-{n % customers}", n=n
            )
            for n in range(count)
        ]
        lanes.append([bodies[i : i + batch] for i in range(0, count, batch)])
    bar = tqdm(total=returns, desc="end to end", unit="return", disable=not progress)

    def post_lane(lane, key):
        api = JsonApi(base_url=url, key=key, who="submitter")
        for chunk in lane:
            api.call("POST", "/api/v1/returns/batch", body={"returns": chunk})

    pending = ReturnRequest.objects.filter(
        order_id__startswith=f"TP-{run}-", status=ReturnStatus.PENDING
    )
    sampler = LockWaitSampler()
    sampler.start()
    meter = CpuMeter(processes or {})
    began = time.perf_counter()
    try:
        with ThreadPoolExecutor(clients) as pool:
            lanes_posted = [
                pool.submit(post_lane, lane, key) for lane, key in zip(lanes, keys, strict=True)
            ]
            for future in lanes_posted:
                future.result()
        intake_seconds = time.perf_counter() - began
        while True:
            left = pending.count()
            bar.n = returns - left
            bar.refresh()
            if not left:
                break
            if time.perf_counter() - began > timeout:
                raise TimeoutError(f"{left:,} returns still pending after {timeout:.0f}s")
            time.sleep(0.1)
        decided_seconds = time.perf_counter() - began
        cpu = meter.shares()
    finally:
        sampler.stopping.set()
        sampler.join()
        bar.close()
    return Throughput(
        returns=returns,
        intake_seconds=intake_seconds,
        decided_seconds=decided_seconds,
        lock_wait_share=sampler.share,
        lock_types=sampler.lock_types,
        busy_sessions=sampler.active / max(sampler.samples, 1),
        idle_in_transaction=sampler.idle_in_transaction / max(sampler.samples, 1),
        cpu=cpu,
    )


def _percentiles(timings: list[float]) -> tuple[float, float]:
    p50, p95 = np.percentile(timings, [50, 95])
    return float(p50), float(p95)


def page_server_times(
    *, returns: int, case_every: int, repeat: int, progress: bool = True
) -> tuple[dict[str, tuple[float, float]], dict]:
    """In a scratch database seeded with `returns` returns and one open case in `case_every`:
    the server time (request in, response rendered; no network) of the queue page and of case
    pages as a lead signed in with both factors sees them, p50 and p95 in ms over `repeat` loads
    each; and the statements of those pages, a filtered queue page and the decisions feed, with
    the large tables their plans read whole (casework.bench.pages_plans)."""
    with scratch_database(purpose="bench", say=lambda message: None):
        reviewer, client, _ = queue_bench_seed(returns=returns, case_every=case_every)
        reviewer.groups.add(Group.objects.get(name=GROUP_LEAD))
        browser = Client(HTTP_HOST="127.0.0.1")
        browser.force_login(reviewer)
        # Signed in with both factors, as staff are (STAFF_TOTP_REQUIRED).
        device = TOTPDevice.objects.create(user=reviewer, name="bench", confirmed=True)
        session = browser.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        case_ids = list(
            ReviewCase.objects.exclude(status="resolved")
            .order_by("-priority")
            .values_list("id", flat=True)[:repeat]
        )
        pages = {
            "queue page": [reverse("casework:queue")] * repeat,
            "case page": [
                reverse("casework:case", args=[case_ids[i % len(case_ids)]]) for i in range(repeat)
            ],
        }
        browser.get(pages["queue page"][0])  # templates compiled, connection open
        figures = {}
        with tqdm(total=2 * repeat, desc="pages", unit="page", disable=not progress) as bar:
            for name, urls in pages.items():
                timings = []
                for page in urls:
                    began = time.perf_counter()
                    response = browser.get(page)
                    timings.append((time.perf_counter() - began) * 1000)
                    if response.status_code != 200:
                        raise RuntimeError(f"{page} answered {response.status_code}")
                    bar.update()
                figures[name] = _percentiles(timings)
        plans = pages_plans(
            browser=browser,
            urls={
                "queue page": pages["queue page"][0],
                "queue page, Electronics over $500": f"{pages['queue page'][0]}"
                "?category=Electronics&value_min=500",
                "case page": pages["case page"][0],
            },
            client=client,
        )
        return figures, plans


def replay_rate(*, data: Path | None, rows: int, progress: bool = True) -> tuple[int, float]:
    """Replays `rows` rows of `data` (default: the generator's severe-drift day) as one day in a
    scratch database with the active model, through the decision code the worker runs.
    Returns the rows replayed and their rate per second (seeding the scratch database aside)."""
    model_version, bundle = model_active()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "day.csv"
        if data is None:
            own_returns(scenario="severe_drift").head(rows).to_csv(path, index=False)
        else:
            source = replay_rows_read(data)[:rows]
            with path.open("w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(source[0]))
                writer.writeheader()
                writer.writerows(source)
        total = len(replay_rows_read(path))
        with scratch_database(purpose="replay", say=lambda message: None):
            scratch_model = replay_model_copy(model_version)
            with tqdm(total=total, desc="replay", unit="return", disable=not progress) as bar:
                began = time.perf_counter()
                replay_run(
                    data=path,
                    model_version=scratch_model,
                    bundle=bundle,
                    start=replay_start(total, None),
                    progress=bar.update,
                )
                seconds = time.perf_counter() - began
    return total, total / seconds


def decide_path_profile(*, returns: int, batch: int, top: int = 25) -> tuple[float, str]:
    """cProfile of the worker's own function, returns_decide_pending, deciding `returns` ordinary
    returns (stored through intake in batches of `batch`, untimed) in a scratch database with
    the active model. Returns the rate per second under the profiler, and the `top` entries by
    own time."""
    model_version, _ = model_active()
    with scratch_database(purpose="profile", say=lambda message: None):
        replay_model_copy(model_version)
        client, _ = api_client_create(name="profile", role="submitter", actor_label="bench")
        customers = max(returns // 3, 1)
        bodies = [
            _ordinary_return(order_id=f"PR-{n}", customer_id=f"PR-{n % customers}", n=n)
            for n in range(returns)
        ]
        for start in range(0, returns, batch):
            items = return_payloads_validate(bodies[start : start + batch])
            return_submit_batch(client=client, items=items, nudge=False)
        profiler = cProfile.Profile()
        began = time.perf_counter()
        profiler.enable()
        while returns_decide_pending():
            pass
        profiler.disable()
        seconds = time.perf_counter() - began
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    project_code = re.escape(f"{settings.BASE_DIR}/") + r"(?!\.venv)"
    stats.sort_stats("cumulative").print_stats(project_code, top)
    stats.sort_stats("tottime").print_stats(top)
    return returns / seconds, out.getvalue().replace(f"{settings.BASE_DIR}/", "")
