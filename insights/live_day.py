"""A day of live traffic against a running desk: a labelled CSV submitted through the HTTP API
in batches while a test reviewer works the queue, priced afterwards in the peer's cost model.

It is an outside client, like a retailer and a reviewing integration: everything it learns comes
from the API. Submissions carry no `submitted_at`, so the server's clock makes the file one
day, and the day's review capacity and portfolio budgets bind as they do in production. The
reviewer resolves each case of the day with the file's label for the case's own return and,
on a fraud verdict, holds the customer where the case recommends it, as the replay's oracle
does (`scoring.policy.hold_recommended`).

The run needs the desk's day to itself: review capacity is counted per day and customers keep
their ledgers and holds, so another run (or other traffic) earlier the same day changes what
this one measures.
"""

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.csv_files import csv_boolean
from insights.services.replay import replay_rows_read
from intake.services.csv_intake import csv_row_to_payload
from intake.validation import ReturnInputSerializer
from ml.economics import realized_cost
from scoring.models import CostSettings
from scoring.policy import hold_recommended

# The peer's cost model is the desk's default price list; the desk being measured may have
# been set to other prices, but the day is always priced in the peer's, to compare with it.
FALSE_REJECT_COST = float(CostSettings._meta.get_field("false_reject_cost").default)
REVIEW_COST = float(CostSettings._meta.get_field("review_cost").default)
REQUIRED_COLUMNS = tuple(
    name for name, input_field in ReturnInputSerializer().fields.items() if input_field.required
)
FEED_PAGE = 1000
QUEUE_PAGE = 500
POLL_SECONDS = 0.2
HTTP_TIMEOUT_SECONDS = 60


class LiveDayError(Exception):
    """The day cannot be run or measured: a bad file, an unreachable desk, a refused key."""


@dataclass(frozen=True)
class LiveDayRow:
    """One return of the day: the API body and the file's truth about it."""

    payload: dict
    is_fraud: bool


@dataclass(frozen=True)
class LiveDayProgress:
    phase: str  # "submitting" or "settling"
    total: int
    submitted: int
    decided: int
    open_cases: int
    resolved_cases: int


@dataclass
class LiveDayResult:
    returns: int
    invalid: int
    fraud: int
    realized_cost: float
    cost_per_return: float
    approve_all_per_return: float
    cases_opened: int
    share_reviewed: float
    joined: int
    reviews_per_day: dict[str, int]
    peak_queue: int
    pending_left: int
    open_cases_left: int
    outcomes: dict[str, int]
    fraud_approved: int
    # Reviews of would-be approvals drawn to keep training labels unbiased: their review cost
    # less the fraud they happened to catch, which approving would have lost.
    audit_sample_cases: int
    audit_sample_net_cost: float
    elapsed_seconds: float
    submit_seconds: float
    wait_seconds: float
    review_seconds: float
    invalid_examples: list[dict] = field(default_factory=list)

    @property
    def returns_per_second(self) -> float:
        return self.returns / self.elapsed_seconds if self.elapsed_seconds else 0.0

    @property
    def cost_per_return_without_audit_sample(self) -> float:
        """The decisions' own cost: the audit sample buys labels for retraining, not savings."""
        net = self.realized_cost - self.audit_sample_net_cost
        return net / self.returns if self.returns else 0.0

    def format_line(self, *, label: str) -> str:
        days = ", ".join(f"{day} {count:,}" for day, count in self.reviews_per_day.items())
        parts = [
            f"live day {label}: {self.returns:,} returns in {self.elapsed_seconds:.1f}s "
            f"({self.returns_per_second:.1f}/s; posting {self.submit_seconds:.1f}s, waiting for "
            f"decisions {self.wait_seconds:.1f}s, reviewing {self.review_seconds:.1f}s)",
            f"cost/return ${self.cost_per_return:.2f} vs approve-all "
            f"${self.approve_all_per_return:.2f}",
            f"without the audit sample's {self.audit_sample_cases:,} reviews "
            f"${self.cost_per_return_without_audit_sample:.2f}",
            f"reviewed {self.share_reviewed:.2%} ({self.cases_opened:,} cases; "
            f"opened by day: {days or 'none'})",
            f"joined an open case {self.joined:,}",
            f"peak queue {self.peak_queue:,}",
            f"fraud approved {self.fraud_approved:,} of {self.fraud:,}",
            f"pending left {self.pending_left:,}, open cases left {self.open_cases_left:,}",
        ]
        if self.invalid:
            parts.append(f"invalid rows {self.invalid:,}")
        return "; ".join(parts)


def live_day_rows_read(
    *, path: Path, scale: int = 1, attribute_types: dict[str, str] | None = None
) -> list[LiveDayRow]:
    """The file's rows as API bodies with their labels, `scale` times over; `attr_<name>`
    columns become typed `attributes` by `attribute_types` (name -> declared type).

    Copies after the first get fresh order and customer ids (`-x2`, `-x3`, …) and are
    interleaved row by row: a shop `scale` times the size meets the same mix at every hour,
    not the same day played `scale` times in a row. Raises LiveDayError for a file that cannot
    be read or has no labels or lacks a column every return needs.
    """
    if scale < 1:
        raise LiveDayError("scale must be at least 1")
    try:
        rows = replay_rows_read(path)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        message = str(exc)
        raise LiveDayError(message if str(path) in message else f"{path}: {message}") from exc
    missing = [name for name in REQUIRED_COLUMNS if name not in rows[0]]
    if missing:
        raise LiveDayError(f"{path}: missing required columns: {', '.join(missing)}")
    day = []
    for row in rows:
        payload = csv_row_to_payload(row, attribute_types)
        is_fraud = csv_boolean(row["is_fraud"])
        day.append(LiveDayRow(payload=payload, is_fraud=is_fraud))
        for copy in range(2, scale + 1):
            # A missing id stays missing, so the copy is refused like the original.
            renamed = {
                **payload,
                **{
                    name: f"{payload[name]}-x{copy}"
                    for name in ("order_id", "customer_id")
                    if name in payload
                },
            }
            day.append(LiveDayRow(payload=renamed, is_fraud=is_fraud))
    return day


class JsonApi:
    """JSON over HTTP with one API key; an unexpected status is a LiveDayError naming it."""

    def __init__(self, *, base_url: str, key: str | None, who: str):
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.who = who

    def call(self, method: str, path: str, *, body=None, query=None, allow=()) -> tuple[int, dict]:
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        headers = {"Accept": "application/json"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            text = exc.read().decode(errors="replace")
            if exc.code in allow:
                return exc.code, json.loads(text or "{}")
            raise LiveDayError(
                f"{method} {path} as {self.who}: HTTP {exc.code}: {text[:500]}"
            ) from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise LiveDayError(f"cannot reach {self.base_url}: {reason}") from exc


class _Day:
    """What the run knows of its returns and cases, all of it learnt through the API."""

    def __init__(
        self,
        *,
        submitter: JsonApi,
        reviewer: JsonApi,
        total: int,
        progress: Callable[[LiveDayProgress], None] | None,
    ):
        self.submitter = submitter
        self.reviewer = reviewer
        self.total = total
        self.progress = progress
        self.truth: dict[str, LiveDayRow] = {}
        self.submitted = 0
        self.invalid: list[dict] = []
        # The latest state of each accepted return, from the decisions feed.
        self.state: dict[str, dict] = {}
        self.undecided: set[str] = set()
        self.cursor: str | None = None
        # Each case of the day: the order id of its own return and the day it opened.
        self.case_owner: dict[int, str] = {}
        self.case_day: dict[int, str] = {}
        self.resolved: set[int] = set()
        # Customers this reviewer has found fraud from: a later fraud verdict holds them.
        self.fraud_customers: set[str] = set()
        self.open_cases = 0
        self.peak_queue = 0
        self.submit_seconds = self.wait_seconds = self.review_seconds = 0.0
        self.phase = "submitting"

    # --- Returns ---------------------------------------------------------------------------

    def submit(self, batch: list[LiveDayRow]) -> None:
        started = time.monotonic()
        _, body = self.submitter.call(
            "POST", "/api/v1/returns/batch", body={"returns": [row.payload for row in batch]}
        )
        self.submit_seconds += time.monotonic() - started
        for row, result in zip(batch, body["results"], strict=True):
            if result["status"] == "accepted":
                self.truth[row.payload["order_id"]] = row
                self.undecided.add(row.payload["order_id"])
            elif result["status"] == "invalid":
                self.invalid.append({"order_id": result["order_id"], "errors": result["errors"]})
            else:
                # The day's figures are only the day's when every return in them is new.
                raise LiveDayError(
                    f"order {result['order_id']!r} was {result['status']}: this submitter sent "
                    "it before. A rehearsal needs a submitter key (and customers) that have "
                    "not run this file on this desk."
                )
        self.submitted += len(batch)
        self._report()

    def feed_read(self) -> None:
        """Reads the feed to its end; each event carries its return as it stands now."""
        while True:
            _, page = self.submitter.call(
                "GET", "/api/v1/decisions", query={"limit": FEED_PAGE, "after": self.cursor}
            )
            for event in page["results"]:
                self._learn(event["return"])
            self.cursor = page["next"] or self.cursor
            if len(page["results"]) < FEED_PAGE:
                return

    def _learn(self, return_state: dict) -> None:
        order_id = return_state["order_id"]
        if order_id in self.truth:
            self.state[order_id] = return_state
            if return_state["status"] != "pending":
                self.undecided.discard(order_id)

    def pending(self) -> int:
        return len(self.undecided)

    def in_review_read(self) -> None:
        """Reads each return last seen in review one by one: the feed shows an event only once
        every older transaction has ended, so the last verdicts' outcomes may not be in it yet."""
        for order_id, state in list(self.state.items()):
            if state["status"] == "in_review":
                quoted = urllib.parse.quote(order_id, safe="")
                _, body = self.submitter.call("GET", f"/api/v1/returns/{quoted}")
                self._learn(body)

    def wait_decided(self, *, stall_seconds: float) -> bool:
        """Waits until every accepted return is decided; False when decisions stop coming for
        `stall_seconds` first."""
        started = time.monotonic()
        try:
            return self._wait_decided(stall_seconds=stall_seconds)
        finally:
            self.wait_seconds += time.monotonic() - started

    def _wait_decided(self, *, stall_seconds: float) -> bool:
        self.feed_read()
        pending, last_change = self.pending(), time.monotonic()
        while pending:
            if time.monotonic() - last_change > stall_seconds:
                return False
            time.sleep(POLL_SECONDS)
            self.feed_read()
            now_pending = self.pending()
            if now_pending < pending:
                last_change = time.monotonic()
            pending = now_pending
            self._report()
        return True

    # --- Review ----------------------------------------------------------------------------

    def queue_read(self) -> list[dict]:
        """The day's open cases in priority order; other cases on the desk are not the test
        reviewer's to touch."""
        cases, cursor = [], None
        while True:
            _, page = self.reviewer.call(
                "GET",
                "/api/v1/cases",
                query={"status": "open", "limit": QUEUE_PAGE, "after": cursor},
            )
            for case in page["results"]:
                if case["order_id"] in self.truth:
                    self.case_owner[case["id"]] = case["order_id"]
                    self.case_day[case["id"]] = case["created_at"][:10]
                    cases.append(case)
            cursor = page["next"]
            if cursor is None:
                return cases

    def review_round(self) -> None:
        """Works the queue until it holds none of the day's cases."""
        started = time.monotonic()
        while cases := self.queue_read():
            self.open_cases = len(cases)
            self.peak_queue = max(self.peak_queue, len(cases))
            self._report()
            for case in cases:
                self._resolve(case)
        self.open_cases = 0
        self.review_seconds += time.monotonic() - started
        self._report()

    def _resolve(self, case: dict) -> None:
        path = f"/api/v1/cases/{case['id']}"
        status, _ = self.reviewer.call("POST", f"{path}/claim", allow=(409,))
        if status == 409:  # resolved or held by someone else meanwhile
            return
        is_fraud = self.truth[case["order_id"]].is_fraud
        hold = is_fraud and hold_recommended(
            reason_codes=[reason["code"] for reason in case["reasons"]],
            customer_had_fraud=case["customer_id"] in self.fraud_customers,
        )
        status, _ = self.reviewer.call(
            "POST",
            f"{path}/verdict",
            body={
                "verdict": "fraud" if is_fraud else "legitimate",
                "hold_customer": hold,
                "note": "live-day test reviewer: the file's label",
            },
            allow=(409,),
        )
        if status != 409:
            self.resolved.add(case["id"])
            self.open_cases -= 1
            if is_fraud:
                self.fraud_customers.add(case["customer_id"])

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(
                LiveDayProgress(
                    phase=self.phase,
                    total=self.total,
                    submitted=self.submitted,
                    decided=len(self.truth) - len(self.undecided),
                    open_cases=self.open_cases,
                    resolved_cases=len(self.resolved),
                )
            )


def _preflight(*, base_url: str, submitter: JsonApi, reviewer: JsonApi) -> None:
    status, body = JsonApi(base_url=base_url, key=None, who="anonymous").call(
        "GET", "/readyz", allow=(503,)
    )
    if status != 200:
        raise LiveDayError(f"the desk at {base_url} is not ready: {body.get('failures', body)}")
    submitter.call("GET", "/api/v1/decisions", query={"limit": 1})
    reviewer.call("GET", "/api/v1/cases", query={"limit": 1})


def live_day_run(
    *,
    url: str,
    submitter_key: str,
    reviewer_key: str,
    rows: list[LiveDayRow],
    batch_size: int = 100,
    review_every: int | None = None,
    timeout: float = 300.0,
    progress: Callable[[LiveDayProgress], None] | None = None,
) -> LiveDayResult:
    """Submits `rows` as one day in batches of `batch_size`, in order, while the test reviewer
    works the queue, then reads every return's final state and prices the day.

    The reviewer waits for the returns so far to be decided and works the whole queue after
    every batch (`review_every` None), or after every `review_every` returns: a reviewer who
    lags behind arrivals, so cases wait and later returns of their customers join them.
    Waiting ends when decisions stop for `timeout` seconds: during the day that is an error (no
    worker is deciding), after the last batch the figures say what was left pending.
    """
    if batch_size < 1 or (review_every is not None and review_every < 1):
        raise LiveDayError("batch size and review interval must be at least 1")
    if not rows:
        raise LiveDayError("no returns to submit")
    submitter = JsonApi(base_url=url, key=submitter_key, who="submitter")
    reviewer = JsonApi(base_url=url, key=reviewer_key, who="reviewer")
    _preflight(base_url=url, submitter=submitter, reviewer=reviewer)
    day = _Day(submitter=submitter, reviewer=reviewer, total=len(rows), progress=progress)
    day.feed_read()  # to the feed's end: what this submitter sent before is not the day's
    every = review_every or batch_size

    started = time.monotonic()
    for start in range(0, len(rows), batch_size):
        before = day.submitted
        day.submit(rows[start : start + batch_size])
        if day.submitted // every > before // every:
            if not day.wait_decided(stall_seconds=timeout):
                raise LiveDayError(
                    f"{day.pending():,} returns still pending after {timeout:.0f}s without a "
                    "decision: is a worker running, and deciding? (/healthz/pipeline and the "
                    "worker's log say)"
                )
            day.review_round()

    day.phase = "settling"
    if day.wait_decided(stall_seconds=timeout):
        day.review_round()
    day.feed_read()
    day.in_review_read()
    elapsed = time.monotonic() - started
    return _priced(day, elapsed=elapsed)


def _priced(day: _Day, *, elapsed: float) -> LiveDayResult:
    # A case the reviewer never saw (the wait ended first) belongs to its first return.
    for order_id in day.truth:
        case = (day.state.get(order_id) or {}).get("case")
        if case is not None and case["id"] not in day.case_owner:
            day.case_owner[case["id"]] = order_id
            decided_at = (day.state[order_id].get("decision") or {}).get("decided_at", "")
            day.case_day[case["id"]] = decided_at[:10]
    owners = set(day.case_owner.values())

    total_cost = approve_all = 0.0
    outcomes, joined, fraud_approved, pending_left, open_left = Counter(), 0, 0, 0, set()
    audit_cases, audit_net = 0, 0.0
    for order_id, row in day.truth.items():
        state = day.state.get(order_id) or {"status": "pending", "outcome": None, "case": None}
        value = float(row.payload["order_value"])
        approve_all += value if row.is_fraud else 0.0
        outcome = state["outcome"]
        outcomes[outcome or state["status"]] += 1
        if state["status"] == "pending":
            pending_left += 1
            continue
        if state["case"] is not None and state["case"]["status"] != "resolved":
            open_left.add(state["case"]["id"])
        if order_id in owners:
            action = "review"  # the review is paid for whatever the verdict
            if state["decision"]["reasons"][0]["code"] == "audit_sample":
                audit_cases += 1
                audit_net += REVIEW_COST - (value if row.is_fraud else 0.0)
        else:
            if state["case"] is not None:
                joined += 1
            action = {"approved": "approve", "rejected": "reject"}.get(outcome)
            if action is None:  # still waiting for its case's verdict: nothing settled yet
                continue
        if row.is_fraud and outcome == "approved":
            fraud_approved += 1
        total_cost += realized_cost(
            action=action,
            is_fraud=row.is_fraud,
            order_value=value,
            false_reject_cost=FALSE_REJECT_COST,
            review_cost=REVIEW_COST,
        )
    n = len(day.truth)
    return LiveDayResult(
        returns=n,
        invalid=len(day.invalid),
        fraud=sum(row.is_fraud for row in day.truth.values()),
        realized_cost=total_cost,
        cost_per_return=total_cost / n if n else 0.0,
        approve_all_per_return=approve_all / n if n else 0.0,
        cases_opened=len(day.case_owner),
        share_reviewed=len(day.case_owner) / n if n else 0.0,
        joined=joined,
        reviews_per_day=dict(sorted(Counter(day.case_day.values()).items())),
        peak_queue=day.peak_queue,
        pending_left=pending_left,
        open_cases_left=len(open_left),
        outcomes=dict(outcomes),
        fraud_approved=fraud_approved,
        audit_sample_cases=audit_cases,
        audit_sample_net_cost=audit_net,
        elapsed_seconds=elapsed,
        submit_seconds=day.submit_seconds,
        wait_seconds=day.wait_seconds,
        review_seconds=day.review_seconds,
        invalid_examples=day.invalid[:5],
    )
