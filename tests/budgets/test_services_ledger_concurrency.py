"""Concurrent workers hammering one customer never overrun the budget or unbalance the ledger."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from budgets.models import BudgetPolicy, LedgerAccount, LedgerEntry
from scoring.models import Decision
from scoring.services.pipeline import returns_decide_pending
from scoring.services.policies import policy_version_publish
from tests.factories import ReturnRequestFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_concurrent_workers_never_overrun_a_customer_budget(active_model):
    BudgetPolicy.objects.create(scope="customer", key="HAMMER", amount=Decimal("3.00"))
    policy_version_publish(note="tight budget for the test")
    returns = [
        ReturnRequestFactory(customer__external_id="HAMMER", order_value=Decimal("40.00"))
        for _ in range(60)
    ]
    errors = []

    def worker():
        try:
            while returns_decide_pending(limit=3):
                pass
        except Exception as exc:  # surfaced below; a thread must not swallow it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Decision.objects.filter(return_request__in=returns).count() == 60
    actions = set(Decision.objects.values_list("action", flat=True))
    assert {"approve", "review"} <= actions, "the budget was never reached"
    entries = LedgerEntry.objects.filter(account__customer__external_id="HAMMER")
    booked = entries.aggregate(total=Sum("amount"))["total"]
    assert booked <= Decimal("3.00")
    account = LedgerAccount.objects.get(customer__external_id="HAMMER")
    assert account.balance == booked
