"""Ledger arithmetic: settling approved returns with ground truth, append-only entries."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.db.models import Sum

from budgets.models import LedgerAccount, LedgerEntry, PortfolioDay
from budgets.selectors import portfolio_days_unbalanced
from budgets.services.ledger import (
    PortfolioMoved,
    PortfolioSeen,
    ledger_entry_for,
    ledger_post,
    ledger_settle_return,
    ledger_settle_returns,
)
from tests.factories import LedgerAccountFactory, ReturnRequestFactory

pytestmark = pytest.mark.django_db


def approved_with_booking(amount="12.00", value="80.00"):
    ret = ReturnRequestFactory(order_value=Decimal(value), status="decided", outcome="approved")
    account = LedgerAccountFactory(customer=ret.customer)
    ledger_post(
        entries=[
            ledger_entry_for(
                account=account, return_request=ret, kind="expected_loss", amount=Decimal(amount)
            )
        ]
    )
    return ret, account


def balance_and_sum(account):
    account.refresh_from_db()
    total = LedgerEntry.objects.filter(account=account).aggregate(t=Sum("amount"))["t"]
    return account.balance, total


@pytest.mark.parametrize(
    ("labels", "net"),
    [
        ([True], Decimal("80.00")),
        ([False], Decimal("0.00")),
        ([None], Decimal("12.00")),
        ([True, False], Decimal("0.00")),
        ([False, True], Decimal("80.00")),
        ([True, True], Decimal("80.00")),
    ],
    ids=["fraud", "legitimate", "unknown", "fraud-then-legit", "legit-then-fraud", "fraud-twice"],
)
def test_settling_books_only_the_difference_to_the_newest_truth(labels, net):
    ret, account = approved_with_booking()
    for is_fraud in labels:
        ledger_settle_return(return_request=ret, is_fraud=is_fraud)
        balance, total = balance_and_sum(account)
        assert balance == total
    assert balance == net


def test_settling_several_returns_at_once_books_what_settling_each_would():
    truths = [True, False, None, True]
    together = [approved_with_booking(amount="12.00", value="80.00") for _ in truths]
    alone = [approved_with_booking(amount="12.00", value="80.00") for _ in truths]
    rejected = ReturnRequestFactory(status="decided", outcome="rejected")

    entries = ledger_settle_returns(
        truths=[(ret, truth) for (ret, _), truth in zip(together, truths, strict=True)]
        + [(rejected, True)]
    )
    for (ret, _), truth in zip(alone, truths, strict=True):
        ledger_settle_return(return_request=ret, is_fraud=truth)

    assert [(e.kind, e.amount, e.note) for e in entries] == [
        ("realized_loss", Decimal("68.00"), "confirmed fraud"),
        ("reversal", Decimal("-12.00"), "confirmed legitimate"),
        ("realized_loss", Decimal("68.00"), "confirmed fraud"),
    ]
    for (_, ours_account), (_, theirs_account) in zip(together, alone, strict=True):
        assert balance_and_sum(ours_account) == balance_and_sum(theirs_account)
        balance, total = balance_and_sum(ours_account)
        assert balance == total
    assert not portfolio_days_unbalanced()


def test_settling_a_rejected_return_books_nothing():
    ret = ReturnRequestFactory(status="decided", outcome="rejected")
    assert ledger_settle_return(return_request=ret, is_fraud=True) is None
    assert not LedgerEntry.objects.exists()


def test_ledger_entries_cannot_be_changed_or_deleted():
    ret, account = approved_with_booking()
    entry = LedgerEntry.objects.get(account=account)
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("0.01"))
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.delete()
    assert LedgerAccount.objects.get(pk=account.pk).balance == Decimal("12.00")


def test_each_payment_methods_day_moves_with_its_entries_through_bookings_and_settling():
    crypto, _ = approved_with_booking(amount="12.00", value="80.00")
    card = ReturnRequestFactory(
        order_value=Decimal("50.00"), payment_method="Debit Card", status="decided",
        outcome="approved",
    )  # fmt: skip
    ledger_post(
        entries=[
            ledger_entry_for(
                account=LedgerAccountFactory(customer=card.customer),
                return_request=card,
                kind="expected_loss",
                amount=Decimal("5.00"),
            )
        ]
    )
    ledger_settle_return(return_request=crypto, is_fraud=True)
    ledger_settle_return(return_request=card, is_fraud=False)

    days = {(d.payment_method, d.day): d.booked for d in PortfolioDay.objects.all()}
    assert days == {
        (crypto.payment_method, crypto.received_at.date()): Decimal("80.00"),
        ("Debit Card", card.received_at.date()): Decimal("0.00"),
    }
    assert portfolio_days_unbalanced() == []


def test_the_unbalanced_check_finds_a_day_that_misses_its_entries():
    approved_with_booking(amount="12.00")
    PortfolioDay.objects.update(booked=Decimal("11.00"))
    assert [row[2:] for row in portfolio_days_unbalanced()] == [
        (Decimal("12.00"), Decimal("11.00"))
    ]


@pytest.mark.parametrize(
    ("moved_by", "priced_alike_to", "raised"),
    [
        ("0.00", "80.00", False),  # nobody else booked
        ("10.00", "80.00", False),  # 10 + 30: both totals price alike, below the knee
        ("60.00", "80.00", True),  # 60 + 30 crosses what the batch priced on
        ("60.00", None, False),  # no total changes this day's price
    ],
)
def test_a_day_read_unlocked_is_checked_as_the_batch_books_on_it(moved_by, priced_alike_to, raised):
    ret = ReturnRequestFactory(status="decided", outcome="approved")
    account = LedgerAccountFactory(customer=ret.customer)
    day = (ret.payment_method, ret.received_at.date())
    seen = {
        day: PortfolioSeen(
            booked=Decimal("0.00"),
            priced_alike_to=priced_alike_to and Decimal(priced_alike_to),
        )
    }
    PortfolioDay.objects.create(payment_method=day[0], day=day[1], booked=Decimal(moved_by))
    entry = ledger_entry_for(
        account=account, return_request=ret, kind="expected_loss", amount=Decimal("30.00")
    )
    if raised:
        with pytest.raises(PortfolioMoved), transaction.atomic():
            ledger_post(entries=[entry], seen=seen)
    else:
        ledger_post(entries=[entry], seen=seen)
        assert PortfolioDay.objects.get().booked == Decimal(moved_by) + Decimal("30.00")
