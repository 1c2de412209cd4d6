"""The per-customer loss ledger: locking accounts, booking, and settling with ground truth.

Entries are append-only (a database trigger refuses UPDATE and DELETE); an account's balance is
updated in the same transaction as its entries, so it always equals their sum.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from statistics import median

from django.db import connection, transaction
from django.db.models import Sum

from budgets.choices import EntryKind
from budgets.constants import PORTFOLIO_HISTORY_DAYS, PORTFOLIO_MIN_HISTORY_DAYS
from budgets.models import LedgerAccount, LedgerEntry
from intake.choices import Outcome


def ledger_accounts_lock(*, customer_ids: Iterable[int]) -> dict[int, LedgerAccount]:
    """Creates missing accounts and row-locks all of them, in id order so workers never deadlock.

    Must run inside a transaction; the locks serialise budget checks and bookings per customer.
    """
    customer_ids = sorted(set(customer_ids))
    LedgerAccount.objects.bulk_create(
        [LedgerAccount(customer_id=cid) for cid in customer_ids], ignore_conflicts=True
    )
    accounts = LedgerAccount.objects.select_for_update().filter(customer_id__in=customer_ids)
    return {account.customer_id: account for account in accounts.order_by("id")}


def ledger_bookings_since(*, account_ids: Iterable[int], since: datetime) -> dict[int, list]:
    """Each account's (effective_at, amount) bookings at or after `since`."""
    bookings = defaultdict(list)
    rows = LedgerEntry.objects.filter(account_id__in=list(account_ids), effective_at__gte=since)
    for account_id, effective_at, amount in rows.values_list(
        "account_id", "effective_at", "amount"
    ):
        bookings[account_id].append((effective_at, amount))
    return bookings


def ledger_portfolio_booked(*, payment_methods: Iterable[str], since: datetime) -> dict:
    """Booked loss per (payment method, day) from `since` on, for the portfolio budgets."""
    rows = (
        LedgerEntry.objects.filter(
            payment_method__in=list(payment_methods), effective_at__gte=since
        )
        .values_list("payment_method", "effective_at__date")
        .annotate(total=Sum("amount"))
    )
    return {(method, day): total for method, day, total in rows}


def ledger_portfolio_typical_day(*, payment_methods: Iterable[str], day: date) -> dict:
    """Each payment method's median booked loss per day over the PORTFOLIO_HISTORY_DAYS before
    `day`, counting quiet days as zero; None for a method with under PORTFOLIO_MIN_HISTORY_DAYS
    days since its first booking in that span."""
    first_day = day - timedelta(days=PORTFOLIO_HISTORY_DAYS)
    start = datetime.combine(first_day, time.min, tzinfo=UTC)
    methods = set(payment_methods)
    booked = ledger_portfolio_booked(payment_methods=methods, since=start)
    typical = {}
    for method in methods:
        days = {d: total for (m, d), total in booked.items() if m == method and d < day}
        if not days or (day - min(days)).days < PORTFOLIO_MIN_HISTORY_DAYS:
            typical[method] = None
            continue
        span = [min(days) + timedelta(days=i) for i in range((day - min(days)).days)]
        typical[method] = Decimal(str(median(days.get(d, Decimal("0")) for d in span)))
    return typical


def ledger_post(*, entries: list[LedgerEntry]) -> None:
    """Appends entries and moves each account's balance by the same amounts."""
    LedgerEntry.objects.bulk_create(entries)
    totals = defaultdict(Decimal)
    for entry in entries:
        totals[entry.account_id] += entry.amount
    if not totals:
        return
    # One UPDATE for the whole batch, each account moved by its own total.
    # (Django's Case/When would compare every row with every account: quadratic in the batch.)
    table = LedgerAccount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET balance = balance + v.total "
            "FROM unnest(%s::bigint[], %s::numeric[]) AS v(id, total) "
            f"WHERE {table}.id = v.id",
            [list(totals), list(totals.values())],
        )


def ledger_entry_for(*, account, return_request, kind, amount, note="") -> LedgerEntry:
    return LedgerEntry(
        account=account,
        return_request=return_request,
        kind=kind,
        amount=amount,
        effective_at=return_request.received_at,
        payment_method=return_request.payment_method,
        note=note,
    )


@transaction.atomic
def ledger_settle_return(*, return_request, is_fraud: bool | None) -> LedgerEntry | None:
    """Brings the ledger in line with what is now known about an approved return.

    Approved and confirmed fraud: the net booking is the order value (the realized loss);
    confirmed legitimate: nothing (the expected loss is reversed); unknown: the expected loss
    booked at approval stays. Only the difference is booked, so repeated or conflicting
    labels keep the ledger right with the newest one authoritative.
    """
    account = ledger_accounts_lock(customer_ids=[return_request.customer_id])[
        return_request.customer_id
    ]
    entries = LedgerEntry.objects.filter(return_request=return_request)
    booked = entries.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    if return_request.outcome != Outcome.APPROVED:
        target = Decimal("0.00")
    elif is_fraud is None:
        target = entries.filter(kind=EntryKind.EXPECTED_LOSS).aggregate(total=Sum("amount"))[
            "total"
        ] or Decimal("0.00")
    elif is_fraud:
        target = return_request.order_value
    else:
        target = Decimal("0.00")
    delta = target - booked
    if delta == 0:
        return None
    kind = EntryKind.REALIZED_LOSS if delta > 0 else EntryKind.REVERSAL
    note = {True: "confirmed fraud", False: "confirmed legitimate", None: "truth unknown"}[is_fraud]
    entry = ledger_entry_for(
        account=account, return_request=return_request, kind=kind, amount=delta, note=note
    )
    ledger_post(entries=[entry])
    return entry


def ledger_portfolio_lock(*, payment_methods: Iterable[str]) -> None:
    """Serialises portfolio budget checks per payment method for the rest of the transaction.

    Taken after the account locks and in sorted order, the same order everywhere: no deadlocks.
    """
    with connection.cursor() as cursor:
        for method in sorted(set(payment_methods)):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"portfolio:{method}"])
