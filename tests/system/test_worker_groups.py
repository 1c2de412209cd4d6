"""Two worker groups against one PostgreSQL and Redis, the way two machines would run them: each
a separate Celery process (with its pool) under a hostname of its own. Retailers post batches
through the HTTP API at once; every return is decided exactly once, no customer's approval was
priced on a balance that missed another group's booking, and every ledger balance is the sum of
its entries. The rate of one group and of two is printed (`-s`), not judged: on a shared
two-core machine a second group mostly competes for the same cores."""

import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from celery import current_app
from django.db import connection
from django.db.models import Count, Sum

from budgets.models import LedgerAccount, LedgerEntry
from budgets.selectors import portfolio_days_unbalanced
from casework.selectors import decision_hours_unbalanced
from core.choices import ApiRole
from core.services.api_clients import api_client_create
from intake.models import ReturnRequest
from scoring.models import Decision
from tests.system.conftest import WorkerProcess, wait_until
from tests.system.test_bare_clone import http

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RETAILERS = 3
BATCHES_PER_RETAILER = 3
BATCH = 400
PHASE_RETURNS = RETAILERS * BATCHES_PER_RETAILER * BATCH
# Few customers per retailer, so batches decided by different groups share ledger accounts.
CUSTOMERS_PER_RETAILER = 150
CATEGORIES = ("Clothing", "Electronics", "Home & Garden", "Beauty", "Toys")
PAYMENT_METHODS = ("Credit Card", "Debit Card", "PayPal", "Gift Card")
DECIDED_TIMEOUT = 600


def batches(phase: str, retailer: int) -> list[list[dict]]:
    bodies = [
        {
            "order_id": f"{phase}-{retailer}-{n}",
            "customer_id": f"C-{n % CUSTOMERS_PER_RETAILER}",
            "order_value": str(Decimal(15 + (n * 37) % 700) + Decimal("0.99")),
            "product_category": CATEGORIES[n % len(CATEGORIES)],
            "payment_method": PAYMENT_METHODS[n % len(PAYMENT_METHODS)],
            "return_ratio": 0.1,
            "returns_velocity_30d": n % 3,
            "days_since_purchase": 1 + n % 30,
        }
        for n in range(BATCHES_PER_RETAILER * BATCH)
    ]
    return [bodies[i : i + BATCH] for i in range(0, len(bodies), BATCH)]


def ready(*hostnames: str) -> bool:
    answers = current_app.control.ping(destination=list(hostnames), timeout=1.0)
    return {name for answer in answers for name in answer} == set(hostnames)


def run_phase(phase: str, *, url: str, keys: list[str]) -> float:
    """Every retailer posts its batches at once; returns/s from the first POST to all decided."""

    def post_all(retailer: int):
        for chunk in batches(phase, retailer):
            status, body = http(
                "POST", f"{url}/api/v1/returns/batch", key=keys[retailer],
                body={"returns": chunk}, timeout=120,
            )  # fmt: skip
            assert status == 202, body

    pending = ReturnRequest.objects.filter(order_id__startswith=f"{phase}-", status="pending")
    began = time.perf_counter()
    with ThreadPoolExecutor(RETAILERS) as pool:
        for future in [pool.submit(post_all, r) for r in range(RETAILERS)]:
            future.result()
    assert wait_until(lambda: not pending.exists(), timeout=DECIDED_TIMEOUT, interval=0.1), (
        f"{pending.count()} returns of {phase} still pending"
    )
    return PHASE_RETURNS / (time.perf_counter() - began)


def assert_no_stale_balance() -> None:
    """Each customer's decisions, in the order their balances grew, each saw every booking made
    before it: two groups deciding one customer at once would both price on the same balance
    while each books, which shows as a decision whose booked_loss misses the other's entry."""
    booked = dict(
        LedgerEntry.objects.values("return_request_id")
        .annotate(total=Sum("amount"))
        .values_list("return_request_id", "total")
    )
    by_customer = defaultdict(list)
    for decision in Decision.objects.select_related("return_request").only(
        "id", "booked_loss", "return_request__customer_id", "return_request__id"
    ):
        amount = booked.get(decision.return_request_id, Decimal("0.00"))
        by_customer[decision.return_request.customer_id].append(
            (decision.booked_loss, amount != 0, decision.id, amount)
        )
    assert any(sum(d[1] for d in decisions) >= 2 for decisions in by_customer.values()), (
        "no customer was booked twice: the check below would prove nothing"
    )
    stale = []
    for customer_id, decisions in by_customer.items():
        running = Decimal("0.00")
        for booked_loss, _, decision_id, amount in sorted(decisions):
            if booked_loss != running:
                stale.append((customer_id, decision_id, booked_loss, running))
            running += amount
    assert not stale, f"(customer, decision, booked_loss seen, booked before it): {stale[:10]}"


def test_two_worker_groups_decide_every_return_once_without_overrunning_budgets(
    live_server, active_model
):
    keys = [
        api_client_create(name=f"retailer-{r}", role=ApiRole.SUBMITTER)[1] for r in range(RETAILERS)
    ]
    groups = [WorkerProcess(hostname=f"group-{g}@machine-{g}") for g in (1, 2)]
    try:
        groups[0].start()
        assert wait_until(lambda: ready("group-1@machine-1"), timeout=120)
        one_group = run_phase("ONE", url=live_server.url, keys=keys)

        groups[1].start()
        assert wait_until(lambda: ready("group-1@machine-1", "group-2@machine-2"), timeout=120)
        two_groups = run_phase("TWO", url=live_server.url, keys=keys)
    finally:
        for group in groups:
            group.stop()
        connection.close()

    total = 2 * PHASE_RETURNS
    assert ReturnRequest.objects.count() == total
    per_return = ReturnRequest.objects.annotate(n=Count("decision")).values_list("n", flat=True)
    assert sorted(set(per_return)) == [1], "a return was decided twice, or not at all"
    assert Decision.objects.count() == total
    assert not ReturnRequest.objects.filter(status__in=["pending", "failed"]).exists()

    unbalanced = [
        (account.pk, account.balance, total_booked)
        for account, total_booked in (
            (a, a.entries.aggregate(s=Sum("amount"))["s"] or Decimal("0.00"))
            for a in LedgerAccount.objects.all()
        )
        if account.balance != total_booked
    ]
    assert not unbalanced, f"(account, balance, sum of entries): {unbalanced}"
    assert LedgerEntry.objects.exists(), "nothing was booked: the check above proved nothing"
    assert portfolio_days_unbalanced() == []
    assert decision_hours_unbalanced() == []
    assert_no_stale_balance()

    print(
        f"\n{PHASE_RETURNS:,} returns from {RETAILERS} retailers in batches of {BATCH}: "
        f"one worker group {one_group:,.0f} returns/s, two groups {two_groups:,.0f} returns/s "
        f"(first POST → all decided; both groups on this machine's cores)"
    )
