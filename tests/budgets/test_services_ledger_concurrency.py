"""Concurrent workers never overrun a customer's budget, never price on a portfolio total that
another's booking made wrong, and never unbalance the ledger."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum

from budgets.models import BudgetPolicy, LedgerAccount, LedgerEntry, PortfolioDay
from budgets.selectors import portfolio_days_unbalanced
from budgets.services.ledger import ledger_entry_for, ledger_portfolio_booked, ledger_post
from casework.models import ReviewCase
from casework.services import pipeline
from casework.services.pipeline import returns_decide_pending
from scoring.models import Decision
from scoring.services.policies import policy_version_publish
from tests.concurrency import run_concurrently
from tests.factories import CustomerFactory, LedgerAccountFactory, ReturnRequestFactory

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


@pytest.mark.parametrize(
    ("booked_meanwhile", "priced_on", "lam"),
    [
        # 10 + 28 stays under the knee ($80 of $100): the batch's prices stand as read.
        (Decimal("10.00"), Decimal("0.00"), "0.0000"),
        # 90 is past it: the batch is decided again, locked, on the total it missed.
        (Decimal("90.00"), Decimal("90.00"), "0.5000"),
    ],
)
def test_a_batch_that_missed_a_booking_which_changes_its_prices_is_decided_again(
    active_model, monkeypatch, booked_meanwhile, priced_on, lam
):
    BudgetPolicy.objects.create(scope="portfolio", key="Crypto", amount=Decimal("100.00"))
    policy_version_publish(note="a day's budget for Crypto")
    # An unseen payment method is priced at p 0.7: approving books $28.
    ret = ReturnRequestFactory(order_value=Decimal("40.00"), payment_method="Crypto")
    other = ReturnRequestFactory(payment_method="Crypto", status="decided", outcome="approved")
    other_account = LedgerAccountFactory(customer=other.customer)

    def another_worker_books():
        entry = ledger_entry_for(
            account=other_account, return_request=other, kind="expected_loss",
            amount=booked_meanwhile,
        )  # fmt: skip
        with transaction.atomic():
            ledger_post(entries=[entry])

    reads = []

    def read_then_another_books(*, days, lock=False):
        booked = ledger_portfolio_booked(days=days, lock=lock)
        reads.append(lock)
        if not lock and reads == [False]:
            run_concurrently(another_worker_books)  # commits on its own connection
        return booked

    monkeypatch.setattr(pipeline, "ledger_portfolio_booked", read_then_another_books)
    assert returns_decide_pending() == 1

    decision = Decision.objects.get(return_request=ret)
    assert decision.action == "approve"
    assert decision.portfolio_booked == priced_on
    assert decision.prices["portfolio_lambda"] == lam
    assert reads == ([False] if priced_on == 0 else [False, True])
    assert PortfolioDay.objects.get(payment_method="Crypto").booked == booked_meanwhile + Decimal(
        "28.00"
    )
    assert portfolio_days_unbalanced() == []
