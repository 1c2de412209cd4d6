"""A typed client of the desk's REST API: submit returns, wait for their decisions, follow the
decisions feed, and report outcome events and labels.

    desk = DeskClient("https://desk.example.com", api_key=SUBMITTER_KEY)
    desk.submit_return("A-1", "C-9", Decimal("129.99"), "Toys", "PayPal", 3)
    decided = desk.wait_for_decision("A-1", timeout=30)

A key has one role: a submitter key submits and reads returns and the feed; outcome events and
labels need the retailer's labeler key, so they go through a second client made with it. An
answer of 400 or above raises DeskApiError with the status and the errors by field.
"""

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

API_PREFIX = "/api/v1"
LONG_POLL_MAX_SECONDS = 10.0  # the most one `?wait=` may ask for
LONG_POLL_SKIPPED_HEADER = "Long-Poll-Skipped"


class DeskApiError(Exception):
    """The desk answered with an error: `status` is the HTTP status, `errors` the messages by
    field (or header, or query parameter), `retry_after` the seconds a 429 asks to wait."""

    def __init__(
        self, status: int, detail: str, errors: dict | None = None, retry_after: int | None = None
    ):
        super().__init__(f"{status}: {detail}" + (f" {errors}" if errors else ""))
        self.status = status
        self.detail = detail
        self.errors = errors or {}
        self.retry_after = retry_after


def _time(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _money(text) -> Decimal:
    return Decimal(str(text))


@dataclass(frozen=True)
class Reason:
    code: str
    text: str
    rule: str | None = None

    @classmethod
    def from_json(cls, data: Mapping) -> "Reason":
        return cls(code=data["code"], text=data["text"], rule=data.get("rule"))


@dataclass(frozen=True)
class ActionCosts:
    approve: Decimal
    reject: Decimal
    review: Decimal

    @classmethod
    def from_json(cls, data: Mapping) -> "ActionCosts":
        return cls(*(_money(data[name]) for name in ("approve", "reject", "review")))


@dataclass(frozen=True)
class BudgetState:
    booked_loss: Decimal
    budget: Decimal
    remaining: Decimal

    @classmethod
    def from_json(cls, data: Mapping) -> "BudgetState":
        return cls(*(_money(data[name]) for name in ("booked_loss", "budget", "remaining")))


@dataclass(frozen=True)
class Decision:
    action: str  # approve | reject | review
    fraud_probability: float
    ood_score: float
    ood: bool
    expected_cost: ActionCosts
    reasons: list[Reason]
    budget: BudgetState
    model_version: str
    policy_version: int
    decided_at: datetime

    @classmethod
    def from_json(cls, data: Mapping) -> "Decision":
        return cls(
            action=data["action"],
            fraud_probability=data["fraud_probability"],
            ood_score=data["ood_score"],
            ood=data["ood"],
            expected_cost=ActionCosts.from_json(data["expected_cost"]),
            reasons=[Reason.from_json(reason) for reason in data["reasons"]],
            budget=BudgetState.from_json(data["budget"]),
            model_version=data["model_version"],
            policy_version=data["policy_version"],
            decided_at=_time(data["decided_at"]),
        )


@dataclass(frozen=True)
class ReturnCase:
    id: int
    status: str  # open | claimed | resolved
    joined: bool

    @classmethod
    def from_json(cls, data: Mapping) -> "ReturnCase":
        return cls(id=data["id"], status=data["status"], joined=data["joined"])


@dataclass(frozen=True)
class Return:
    order_id: str
    customer_id: str
    status: str  # pending | decided | failed
    outcome: str | None  # approved | rejected | None while pending or in review
    decision: Decision | None
    case: ReturnCase | None
    url: str

    @classmethod
    def from_json(cls, data: Mapping) -> "Return":
        return cls(
            order_id=data["order_id"],
            customer_id=data["customer_id"],
            status=data["status"],
            outcome=data["outcome"],
            decision=Decision.from_json(data["decision"]) if data["decision"] else None,
            case=ReturnCase.from_json(data["case"]) if data["case"] else None,
            url=data["url"],
        )


@dataclass(frozen=True)
class BatchItemResult:
    order_id: str | None
    status: str  # accepted | duplicate | invalid | conflict
    errors: dict

    @classmethod
    def from_json(cls, data: Mapping) -> "BatchItemResult":
        return cls(order_id=data["order_id"], status=data["status"], errors=data["errors"])


@dataclass(frozen=True)
class FeedEvent:
    """A decision made or an outcome changed, with the return as it stands now. `cursor` resumes
    the feed after this event."""

    event: str  # decision | outcome
    at: datetime
    cursor: str
    return_: Return  # "return" in the JSON

    @classmethod
    def from_json(cls, data: Mapping) -> "FeedEvent":
        return cls(
            event=data["event"],
            at=_time(data["at"]),
            cursor=data["cursor"],
            return_=Return.from_json(data["return"]),
        )


@dataclass(frozen=True)
class OutcomeEvent:
    id: int
    event_id: str
    order_id: str
    kind: str  # carrier_scan | inspection | chargeback | customer_service
    details: dict
    observed_at: datetime
    implies_fraud: bool | None
    label_id: int | None
    created_at: datetime

    @classmethod
    def from_json(cls, data: Mapping) -> "OutcomeEvent":
        return cls(
            id=data["id"],
            event_id=data["event_id"],
            order_id=data["order_id"],
            kind=data["kind"],
            details=data["details"],
            observed_at=_time(data["observed_at"]),
            implies_fraud=data["implies_fraud"],
            label_id=data["label_id"],
            created_at=_time(data["created_at"]),
        )


@dataclass(frozen=True)
class OutcomeBatchItemResult:
    event_id: str | None
    order_id: str | None
    status: str  # recorded | duplicate | conflict | unknown_order | invalid
    errors: dict

    @classmethod
    def from_json(cls, data: Mapping) -> "OutcomeBatchItemResult":
        return cls(
            event_id=data["event_id"],
            order_id=data["order_id"],
            status=data["status"],
            errors=data["errors"],
        )


@dataclass(frozen=True)
class Label:
    id: int
    order_id: str
    is_fraud: bool
    source: str
    observed_at: datetime
    created_at: datetime

    @classmethod
    def from_json(cls, data: Mapping) -> "Label":
        return cls(
            id=data["id"],
            order_id=data["order_id"],
            is_fraud=data["is_fraud"],
            source=data["source"],
            observed_at=_time(data["observed_at"]),
            created_at=_time(data["created_at"]),
        )


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("datetimes sent to the desk need a timezone")
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def _given(**fields) -> dict:
    """The fields that have a value: the desk refuses a null where it expects a value."""
    return {name: value for name, value in fields.items() if value is not None}


class DeskClient:
    """One API key's view of the desk. `timeout` bounds each HTTP request, in seconds."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping | None = None,
        headers: Mapping | None = None,
        timeout: float | None = None,
    ) -> tuple[Any, Mapping]:
        """One request to `path` under /api/v1; the parsed JSON answer and its headers."""
        url = self.base_url + API_PREFIX + path
        if query:
            url += "?" + urlencode(query)
        request = urllib.request.Request(url, method=method)
        request.add_header("Authorization", f"Bearer {self.api_key}")
        request.add_header("Accept", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        if body is not None:
            request.data = json.dumps(body, default=_json_default).encode()
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                return json.loads(response.read() or b"null"), response.headers
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = {}
            if not isinstance(payload, dict):
                payload = {}
            retry_after = error.headers.get("Retry-After")
            raise DeskApiError(
                error.code,
                str(payload.get("detail") or error.reason),
                payload.get("errors") if isinstance(payload.get("errors"), dict) else None,
                int(retry_after) if retry_after and retry_after.isdigit() else None,
            ) from None

    # Returns and decisions (a submitter key)

    def submit_return(
        self,
        order_id: str,
        customer_id: str,
        order_value: Decimal | str,
        product_category: str,
        payment_method: str,
        days_since_purchase: int,
        *,
        return_ratio: float | None = None,
        returns_velocity_30d: int | None = None,
        currency: str | None = None,
        submitted_at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> Return:
        """Submits one return; it is decided asynchronously (see wait_for_decision). The same
        order id with the same fields again answers with the stored return."""
        body = _given(
            order_id=order_id,
            customer_id=customer_id,
            order_value=order_value,
            product_category=product_category,
            payment_method=payment_method,
            days_since_purchase=days_since_purchase,
            return_ratio=return_ratio,
            returns_velocity_30d=returns_velocity_30d,
            currency=currency,
            submitted_at=submitted_at,
        )
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        data, _ = self._send("POST", "/returns", body=body, headers=headers)
        return Return.from_json(data)

    def submit_batch(
        self, returns: Iterable[Mapping], *, idempotency_key: str | None = None
    ) -> list[BatchItemResult]:
        """Submits up to 1,000 returns (each a mapping of submit_return's fields); one result per
        return, in order: a valid one is stored even when others are not."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        data, _ = self._send(
            "POST", "/returns/batch", body={"returns": list(returns)}, headers=headers
        )
        return [BatchItemResult.from_json(item) for item in data["results"]]

    def get_return(self, order_id: str, *, wait: float = 0) -> Return:
        """The return as it stands; with `wait` (seconds, at most 10), the desk holds the answer
        until the return is decided or the time runs out."""
        wait_ms = int(min(max(wait, 0), LONG_POLL_MAX_SECONDS) * 1000)
        data, _ = self._send(
            "GET",
            f"/returns/{quote(order_id, safe='')}",
            query={"wait": wait_ms} if wait_ms else None,
            timeout=self.timeout + wait_ms / 1000,
        )
        return Return.from_json(data)

    def wait_for_decision(self, order_id: str, timeout: float = 30.0) -> Return:
        """Long-polls until the return is decided; TimeoutError if it is still pending after
        `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            wait_ms = int(min(max(left, 0), LONG_POLL_MAX_SECONDS) * 1000)
            data, headers = self._send(
                "GET",
                f"/returns/{quote(order_id, safe='')}",
                query={"wait": wait_ms} if wait_ms else None,
                timeout=self.timeout + wait_ms / 1000,
            )
            current = Return.from_json(data)
            if current.status != "pending":
                return current
            if time.monotonic() >= deadline:
                raise TimeoutError(f"return {order_id} is still pending after {timeout}s")
            if headers.get(LONG_POLL_SKIPPED_HEADER):
                # The desk did not hold the request (this key's waits are all in use, or it
                # cannot count them): ask again in a moment rather than at once.
                time.sleep(min(0.5, max(deadline - time.monotonic(), 0)))

    def decisions(self, *, after: str | None = None, limit: int = 100) -> Iterator[FeedEvent]:
        """The decisions feed from `after` (a cursor an earlier event gave), oldest first, until
        it is caught up. Keep the last event's `cursor` to go on from there later."""
        cursor = after
        while True:
            query = _given(after=cursor, limit=limit)
            data, _ = self._send("GET", "/decisions", query=query)
            for item in data["results"]:
                yield FeedEvent.from_json(item)
            if len(data["results"]) < limit or data["next"] in (None, cursor):
                return
            cursor = data["next"]

    # Outcomes and labels (a labeler key)

    def send_outcome(
        self,
        event_id: str,
        order_id: str,
        kind: str,
        observed_at: datetime,
        *,
        status: str | None = None,
        result: str | None = None,
        reason: str | None = None,
        amount: Decimal | str | None = None,
        reason_code: str | None = None,
        note: str | None = None,
        fraud_confirmed: bool | None = None,
    ) -> OutcomeEvent:
        """Reports what became of a return. `kind` and its fields: carrier_scan (`status`),
        inspection (`result` passed or failed, and a failed one's `reason`), chargeback
        (`amount`, `reason_code`, both optional), customer_service (`note`, and
        `fraud_confirmed` when it is known). Sending the same event again is safe: the desk
        answers with the first result."""
        body = _given(
            event_id=event_id,
            order_id=order_id,
            kind=kind,
            observed_at=observed_at,
            status=status,
            result=result,
            reason=reason,
            amount=amount,
            reason_code=reason_code,
            note=note,
            fraud_confirmed=fraud_confirmed,
        )
        data, _ = self._send("POST", "/outcomes", body=body)
        return OutcomeEvent.from_json(data)

    def send_outcomes(self, events: Iterable[Mapping]) -> list[OutcomeBatchItemResult]:
        """Reports up to 1,000 outcome events (mappings of send_outcome's fields); one result
        each, in order."""
        data, _ = self._send("POST", "/outcomes/batch", body={"events": list(events)})
        return [OutcomeBatchItemResult.from_json(item) for item in data["results"]]

    def send_label(
        self, order_id: str, is_fraud: bool, source: str, observed_at: datetime
    ) -> Label:
        """Reports the truth about a return directly (`source`: inspection, chargeback or
        customer_service); an outcome event says more and is usually the better choice."""
        body = {
            "order_id": order_id,
            "is_fraud": is_fraud,
            "source": source,
            "observed_at": observed_at,
        }
        data, _ = self._send("POST", "/labels", body=body)
        return Label.from_json(data)
