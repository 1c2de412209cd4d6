"""Ledger arithmetic: settling approved returns with ground truth, append-only entries."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.db.models import Sum

from budgets.models import LedgerAccount, LedgerEntry
from budgets.services.ledger import ledger_entry_for, ledger_post, ledger_settle_return
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
