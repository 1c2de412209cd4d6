"""Storing submitted returns, idempotently, and waking a worker to decide them."""

import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.db import inserted_row_has_no_dependents, rows_insert_values
from core.models import ApiClient
from core.request_ids import current_request_id
from core.services.audit import audit_record
from intake.choices import ReturnStatus
from intake.constants import (
    DECIDE_MAX_ATTEMPTS,
    DECIDE_PENDING_TASK,
    FALLBACK_RETURN_RATIO,
    VELOCITY_WINDOW_DAYS,
)
from intake.models import Customer, ReturnRequest
from intake.validation import ValidatedReturn

logger = logging.getLogger(__name__)

CUSTOMERS = Customer._meta.db_table


class OrderConflict(Exception):
    """The order id was already submitted with a different body."""

    def __init__(self, existing: ReturnRequest):
        super().__init__(f"order {existing.order_id} was already submitted with another body")
        self.existing = existing


@dataclass
class BatchItemResult:
    order_id: str | None
    status: str  # accepted | duplicate | invalid
    errors: dict


def payload_hash(data: dict) -> str:
    """A hash of the submitted fields, independent of key order and number formatting."""
    canonical = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_client_intake(client: ApiClient) -> None:
    # Serialises intake per client, so concurrent submissions of one order id cannot race.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"intake:{client.pk}"])


def _customers_get_or_create(*, client: ApiClient, external_ids: set[str]) -> dict[str, Customer]:
    """The client's customers by their ids: another retailer's customer of the same id is a
    different person, with its own history, ledger and holds."""
    wanted = sorted(external_ids)
    with connection.cursor() as cursor:
        # Only the missing ones are offered to the insert, as for ledger accounts: a conflict
        # costs a speculative insert, and most customers of a batch are known already.
        cursor.execute(
            f"INSERT INTO {CUSTOMERS} (client_id, external_id, created_at) "
            "SELECT %s, wanted.id, now() FROM unnest(%s::varchar[]) AS wanted(id) "
            f"WHERE NOT EXISTS (SELECT 1 FROM {CUSTOMERS} c "
            "WHERE c.client_id = %s AND c.external_id = wanted.id) "
            "ORDER BY wanted.id ON CONFLICT (client_id, external_id) DO NOTHING",
            [client.pk, wanted, client.pk],
        )
        cursor.execute(
            f"SELECT id, external_id FROM {CUSTOMERS} "
            "WHERE client_id = %s AND external_id = ANY(%s)",
            [client.pk, wanted],
        )
        rows = cursor.fetchall()
    # from_db takes the values in the model's field order: id, client, external id.
    fields = ["id", "client_id", "external_id"]
    customers = {}
    for pk, external_id in rows:
        customer = Customer.from_db(connection.alias, fields, (pk, client.pk, external_id))
        customer.client = client
        customers[external_id] = customer
    return customers


def _derive_missing(items: list[dict], customers: dict[str, Customer]) -> None:
    """Fills return_ratio and returns_velocity_30d from the customer's stored returns."""
    need = [
        item
        for item in items
        if item.get("return_ratio") is None or item.get("returns_velocity_30d") is None
    ]
    if not need:
        return
    customer_ids = {customers[item["customer_id"]].pk for item in need}
    history = {}
    for row in (
        ReturnRequest.objects.filter(customer_id__in=customer_ids)
        .values("customer_id", "received_at", "return_ratio")
        .order_by("received_at")
    ):
        history.setdefault(row["customer_id"], []).append(row)
    window = timedelta(days=VELOCITY_WINDOW_DAYS)
    for item in need:
        past = history.get(customers[item["customer_id"]].pk, [])
        derived = []
        if item.get("returns_velocity_30d") is None:
            start = item["received_at"] - window
            item["returns_velocity_30d"] = sum(
                1 for row in past if start <= row["received_at"] < item["received_at"]
            )
            derived.append("returns_velocity_30d")
        if item.get("return_ratio") is None:
            item["return_ratio"] = past[-1]["return_ratio"] if past else FALLBACK_RETURN_RATIO
            derived.append("return_ratio")
        item["derived_fields"] = derived


def _stored_fields(item: dict, body_hash: str) -> dict:
    """A validated item's fields as its return stores them, but for its client and customer."""
    return {
        **{name: value for name, value in item.items() if name != "customer_id"},
        "payload_hash": body_hash,
        "status": ReturnStatus.PENDING,
        "request_id": current_request_id()[:64],
    }


def _with_defaults(data: dict, *, history: bool = False) -> dict:
    """The item as stored: received now, or as history at its `submitted_at` when it has one."""
    item = dict(data)
    item.setdefault("currency", settings.DESK_CURRENCY)
    submitted_at = item.get("submitted_at")
    item["received_at"] = submitted_at if history and submitted_at else timezone.now()
    item["submitted_at"] = submitted_at or item["received_at"]
    return item


@transaction.atomic
def return_submit(*, client: ApiClient, data: dict) -> tuple[ReturnRequest, bool]:
    """Stores one validated return as pending. Returns (return, created).

    The same order id with the same body gives back the stored return; another body raises
    OrderConflict.
    """
    body_hash = payload_hash(data)
    _lock_client_intake(client)
    existing = ReturnRequest.objects.filter(client=client, order_id=data["order_id"]).first()
    if existing is not None:
        if existing.payload_hash != body_hash:
            raise OrderConflict(existing)
        return existing, False
    item = _with_defaults(data)
    customers = _customers_get_or_create(client=client, external_ids={item["customer_id"]})
    _derive_missing([item], customers)
    return_request = ReturnRequest(
        client=client, customer=customers[item["customer_id"]], **_stored_fields(item, body_hash)
    )
    return_request.save()
    # The answer shows it pending, as stored, with no decision to read back.
    inserted_row_has_no_dependents(return_request)
    returns_nudge_scoring()
    return return_request, True


@transaction.atomic
def return_submit_batch(
    *, client: ApiClient, items: list[ValidatedReturn], nudge: bool = True, history: bool = False
) -> list[BatchItemResult]:
    """Stores the valid items of a batch in one transaction; reports every item, in order.

    With `nudge` a worker is asked to decide the new returns once the transaction commits.
    With `history` (imports of past returns, the replay) each return counts as received at its
    `submitted_at`, for its budgets, portfolio day and velocity.
    """
    _lock_client_intake(client)
    order_ids = {item.order_id for item in items if item.data is not None}
    stored = dict(
        ReturnRequest.objects.filter(client=client, order_id__in=order_ids).values_list(
            "order_id", "payload_hash"
        )
    )
    results, new_items, seen = [], [], dict(stored)
    for item in items:
        if item.data is None:
            results.append(BatchItemResult(item.order_id, "invalid", item.errors))
            continue
        data = item.data
        body_hash = payload_hash(data)
        order_id = data["order_id"]
        if order_id in seen:
            if seen[order_id] == body_hash:
                results.append(BatchItemResult(order_id, "duplicate", {}))
            else:
                results.append(
                    BatchItemResult(
                        order_id,
                        "conflict",
                        {
                            "order_id": [
                                "This order_id was already submitted with a different body."
                            ]
                        },
                    )
                )
            continue
        seen[order_id] = body_hash
        new_items.append((_with_defaults(data, history=history), body_hash))
        results.append(BatchItemResult(order_id, "accepted", {}))
    if new_items:
        customers = _customers_get_or_create(
            client=client, external_ids={item["customer_id"] for item, _ in new_items}
        )
        _derive_missing([item for item, _ in new_items], customers)
        rows_insert_values(
            ReturnRequest,
            [
                {
                    "client_id": client.pk,
                    "customer_id": customers[item["customer_id"]].pk,
                    **_stored_fields(item, body_hash),
                }
                for item, body_hash in new_items
            ],
        )
        if nudge:
            returns_nudge_scoring()
    return results


class _ScoringNudges:
    """Publishes scoring nudges from one background thread per process, so no request waits on
    Redis: a hung Redis holds up only this thread, for the broker's socket timeouts. Nudges
    asked for while one is being sent make one more, since any nudge decides every pending
    return."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pid = None
        self._wanted = None

    def ask(self) -> None:
        with self._lock:
            if self._pid != os.getpid():  # first use, or a forked child: threads do not fork
                self._pid, self._wanted = os.getpid(), threading.Event()
                threading.Thread(
                    target=self._publish_forever, args=(self._wanted,), daemon=True
                ).start()
            self._wanted.set()

    @staticmethod
    def _publish_forever(wanted: threading.Event) -> None:
        while True:
            wanted.wait()
            wanted.clear()
            try:
                current_app.send_task(DECIDE_PENDING_TASK, retry=False)
            except Exception:
                logger.warning(
                    "could not publish a scoring nudge; the sweeper will retry", exc_info=True
                )


_scoring_nudges = _ScoringNudges()


def returns_nudge_scoring() -> None:
    """After the current transaction commits, asks a worker to decide pending returns.

    The task is sent by name: intake does not import the worker. A failed publish is logged
    and dropped: the returns are safe in the database and the sweeper nudges again within
    seconds.
    """
    transaction.on_commit(_scoring_nudges.ask)


@transaction.atomic
def return_decide_failed(*, return_id: int, error: Exception) -> int:
    """Counts a failed try to decide a pending return; at DECIDE_MAX_ATTEMPTS the return is set
    aside as failed, with the error, so later batches no longer carry it. Returns the count."""
    return_request = ReturnRequest.objects.select_for_update().get(pk=return_id)
    if return_request.status != ReturnStatus.PENDING:
        return return_request.decide_attempts
    return_request.decide_attempts += 1
    return_request.decide_error = f"{type(error).__name__}: {error}"[:2000]
    if return_request.decide_attempts >= DECIDE_MAX_ATTEMPTS:
        return_request.status = ReturnStatus.FAILED
    return_request.save(update_fields=["decide_attempts", "decide_error", "status"])
    return return_request.decide_attempts


@transaction.atomic
def returns_retry_failed(*, return_ids, actor) -> int:
    """Puts failed returns back in the queue with a fresh count of tries, once the cause is
    fixed; each retry is audited. Returns how many were put back."""
    failed = list(
        ReturnRequest.objects.select_for_update().filter(
            pk__in=return_ids, status=ReturnStatus.FAILED
        )
    )
    for return_request in failed:
        audit_record(
            actor=actor,
            action="return.retry",
            obj=return_request,
            before={"status": ReturnStatus.FAILED, "error": return_request.decide_error},
            after={"status": ReturnStatus.PENDING},
        )
        return_request.status = ReturnStatus.PENDING
        return_request.decide_attempts = 0
        return_request.decide_error = ""
    ReturnRequest.objects.bulk_update(failed, ["status", "decide_attempts", "decide_error"])
    if failed:
        returns_nudge_scoring()
    return len(failed)
