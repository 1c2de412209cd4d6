"""Concurrent workers hammering one customer never overrun the budget or unbalance the ledger."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from budgets.models import BudgetPolicy, LedgerAccount, LedgerEntry
from casework.models import ReviewCase
from casework.services.pipeline import returns_decide_pending
from scoring.models import Decision
from scoring.services.policies import policy_version_publish
from tests.concurrency import run_concurrently
from tests.factories import CustomerFactory, ReturnRequestFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_concurrent_workers_never_overrun_a_customer_budget(active_model):
    hammer = CustomerFactory(external_id="HAMMER")
    BudgetPolicy.objects.create(
        scope="customer", key=f"{hammer.client.name}/HAMMER", amount=Decimal("100.00")
    )
    policy_version_publish(note="budget for three approvals")
    # An unseen payment method is priced at p 0.7: each approval books $28, three fit the
    # budget, and the fourth would leave an account returning 3 times a month past it, so it
    # goes to review and every later return joins that one case. Workers that read a stale
    # booked loss would approve a fourth.
    returns = [
        ReturnRequestFactory(
            customer=hammer,
            order_value=Decimal("40.00"),
            payment_method="Crypto",
            returns_velocity_30d=3,
        )
        for _ in range(60)
    ]

    def worker():
        decided = 0
        while batch := returns_decide_pending(limit=3):
            decided += batch
        return decided

    assert sum(run_concurrently(*[worker] * 6)) == 60
    assert Decision.objects.filter(return_request__in=returns).count() == 60
    actions = set(Decision.objects.values_list("action", flat=True))
    assert {"approve", "review"} <= actions, "the budget was never reached"
    entries = LedgerEntry.objects.filter(account__customer=hammer)
    booked = entries.aggregate(total=Sum("amount"))["total"]
    assert booked == Decimal("84.00")
    assert ReviewCase.objects.filter(return_request__in=returns).count() == 1
    account = LedgerAccount.objects.get(customer=hammer)
    assert account.balance == booked
