"""The per-customer loss ledger: locking accounts, booking, and settling with ground truth.

Entries are append-only (a database trigger refuses UPDATE and DELETE); an account's balance and
a payment method's day (PortfolioDay) are updated in the same transaction as their entries, so
each always equals the sum of its entries.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from statistics import median

from django.db import connection, transaction
from django.db.models import Q, Sum

from budgets.choices import EntryKind
from budgets.constants import PORTFOLIO_HISTORY_DAYS, PORTFOLIO_MIN_HISTORY_DAYS
from budgets.models import LedgerAccount, LedgerEntry, PortfolioDay
from core.db import rows_insert
from intake.choices import Outcome

ACCOUNTS = LedgerAccount._meta.db_table
SETTLEMENT_NOTES = {True: "confirmed fraud", False: "confirmed legitimate", None: "truth unknown"}


def ledger_accounts_lock(*, customer_ids: Iterable[int]) -> dict[int, LedgerAccount]:
    """Creates missing accounts and row-locks all of them, in id order so workers never deadlock.

    Must run inside a transaction; the locks serialise budget checks and bookings per customer.
    """
    customer_ids = sorted(set(customer_ids))
    # Only the missing ones are offered to the insert: a conflict costs a speculative insert
    # and a sequence number, and most customers of a batch have an account already.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ACCOUNTS} (customer_id, balance, updated_at) "
            "SELECT wanted.id, 0, now() FROM unnest(%s::bigint[]) AS wanted(id) "
            f"WHERE NOT EXISTS (SELECT 1 FROM {ACCOUNTS} a WHERE a.customer_id = wanted.id) "
            "ORDER BY wanted.id ON CONFLICT (customer_id) DO NOTHING",
            [customer_ids],
        )
    accounts = LedgerAccount.objects.select_for_update().filter(customer_id__any=customer_ids)
    return {account.customer_id: account for account in accounts.order_by("id")}


def ledger_bookings_since(*, account_ids: Iterable[int], since: datetime) -> dict[int, list]:
    """Each account's (effective_at, amount) bookings at or after `since`."""
    bookings = defaultdict(list)
    rows = LedgerEntry.objects.filter(account_id__any=list(account_ids), effective_at__gte=since)
    for account_id, effective_at, amount in rows.values_list(
        "account_id", "effective_at", "amount"
    ):
        bookings[account_id].append((effective_at, amount))
    return bookings


def ledger_portfolio_booked(*, days: Iterable[tuple[str, date]], lock: bool = False) -> dict:
    """Booked loss per (payment method, day), for the portfolio budgets.

    With `lock`, each day's counter is created if missing and row-locked, in one order
    everywhere, until the transaction ends: no other transaction books on those days meanwhile.
    Without, the totals are as last committed, and ledger_post checks they still hold.
    """
    days = sorted(set(days))
    if not days:
        return {}
    counters = PortfolioDay.objects.filter(
        Q.create([Q(payment_method=method, day=day) for method, day in days], connector=Q.OR)
    )
    if lock:
        PortfolioDay.objects.bulk_create(
            [PortfolioDay(payment_method=method, day=day) for method, day in days],
            ignore_conflicts=True,
        )
        counters = counters.select_for_update().order_by("payment_method", "day")
    booked = dict.fromkeys(days, Decimal("0.00"))
    booked.update({(c.payment_method, c.day): c.booked for c in counters})
    return booked


def ledger_portfolio_typical_day(*, payment_methods: Iterable[str], day: date) -> dict:
    """Each payment method's median booked loss per day over the PORTFOLIO_HISTORY_DAYS before
    `day`, counting quiet days as zero; None for a method with under PORTFOLIO_MIN_HISTORY_DAYS
    days since its first booking in that span."""
    methods = set(payment_methods)
    counters = PortfolioDay.objects.filter(
        payment_method__in=methods,
        day__gte=day - timedelta(days=PORTFOLIO_HISTORY_DAYS),
        day__lt=day,
    )
    booked = {(c.payment_method, c.day): c.booked for c in counters}
    typical = {}
    for method in methods:
        days = {d: total for (m, d), total in booked.items() if m == method}
        if not days or (day - min(days)).days < PORTFOLIO_MIN_HISTORY_DAYS:
            typical[method] = None
            continue
        span = [min(days) + timedelta(days=i) for i in range((day - min(days)).days)]
        typical[method] = Decimal(str(median(days.get(d, Decimal("0")) for d in span)))
    return typical


@dataclass(frozen=True)
class PortfolioSeen:
    """A payment method's day as a batch priced it: the total it read, and the total up to which
    any other starting total would have priced its returns the same (None: whatever the total)."""

    booked: Decimal
    priced_alike_to: Decimal | None


class PortfolioMoved(Exception):
    """Another transaction booked on a day a batch read unlocked, by enough to change the prices
    the batch decided with. The batch is to be rolled back and decided again, locked."""


def ledger_post(*, entries: list[LedgerEntry], seen: dict | None = None) -> None:
    """Appends entries and moves each account's balance, and each payment method's day, by the
    same amounts.

    `seen` maps (payment method, day) to the PortfolioSeen a batch priced with; each of those
    days is checked in the statement that books on it, and PortfolioMoved is raised when
    another transaction moved it meanwhile past what the batch's prices allow.
    """
    rows_insert(entries)
    accounts = defaultdict(Decimal)
    days = defaultdict(Decimal)
    for entry in entries:
        accounts[entry.account_id] += entry.amount
        days[(entry.payment_method, entry.effective_at.astimezone(UTC).date())] += entry.amount
    seen = seen or {}
    for day in seen:
        days[day] += Decimal("0.00")  # read, so checked, even where nothing is booked
    if not days:
        return
    # One UPDATE for the whole batch, each account moved by its own total.
    # (Django's Case/When would compare every row with every account: quadratic in the batch.)
    account_table = LedgerAccount._meta.db_table
    day_table = PortfolioDay._meta.db_table
    with connection.cursor() as cursor:
        if accounts:
            cursor.execute(
                f"UPDATE {account_table} SET balance = balance + v.total "
                "FROM unnest(%s::bigint[], %s::numeric[]) AS v(id, total) "
                f"WHERE {account_table}.id = v.id",
                [list(accounts), list(accounts.values())],
            )
        # Last, so a day's row stays locked only from here to the commit; in sorted order, the
        # same as ledger_portfolio_booked's locks.
        ordered = sorted(days)
        cursor.execute(
            f"INSERT INTO {day_table} AS d (payment_method, day, booked) "
            "SELECT * FROM unnest(%s::varchar[], %s::date[], %s::numeric[]) ORDER BY 1, 2 "
            "ON CONFLICT (payment_method, day) DO UPDATE SET booked = d.booked + EXCLUDED.booked "
            "RETURNING payment_method, day, booked",
            [[m for m, _ in ordered], [d for _, d in ordered], [days[k] for k in ordered]],
        )
        after = {(method, day): booked for method, day, booked in cursor.fetchall()}
    for day, priced in seen.items():
        before = after[day] - days[day]
        if before == priced.booked or priced.priced_alike_to is None:
            continue
        if max(before, priced.booked) + max(days[day], Decimal("0")) > priced.priced_alike_to:
            raise PortfolioMoved(f"{day[0]} on {day[1]}: read {priced.booked}, now {before}")


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


def ledger_settle_return(*, return_request, is_fraud: bool | None) -> LedgerEntry | None:
    """Brings the ledger in line with what is now known about an approved return.

    Approved and confirmed fraud: the net booking is the order value (the realized loss);
    confirmed legitimate: nothing (the expected loss is reversed); unknown: the expected loss
    booked at approval stays. Only the difference is booked, so repeated or conflicting
    labels keep the ledger right with the newest one authoritative.
    """
    entries = ledger_settle_returns(truths=[(return_request, is_fraud)])
    return entries[0] if entries else None


@transaction.atomic
def ledger_settle_returns(*, truths: list[tuple]) -> list[LedgerEntry]:
    """ledger_settle_return for each (return, is_fraud) of `truths`, with one lock of their
    accounts, one read of their bookings and one posting (each return once). Returns the
    entries booked."""
    if not truths:
        return []
    accounts = ledger_accounts_lock(customer_ids=[r.customer_id for r, _ in truths])
    booked = {
        row["return_request_id"]: row
        for row in LedgerEntry.objects.filter(return_request__in=[r.pk for r, _ in truths])
        .values("return_request_id")
        .annotate(
            total=Sum("amount"),
            expected=Sum("amount", filter=Q(kind=EntryKind.EXPECTED_LOSS)),
        )
    }
    entries = []
    for return_request, is_fraud in truths:
        bookings = booked.get(return_request.pk, {})
        total = bookings.get("total") or Decimal("0.00")
        if return_request.outcome != Outcome.APPROVED:
            target = Decimal("0.00")
        elif is_fraud is None:
            target = bookings.get("expected") or Decimal("0.00")
        elif is_fraud:
            target = return_request.order_value
        else:
            target = Decimal("0.00")
        delta = target - total
        if delta == 0:
            continue
        entries.append(
            ledger_entry_for(
                account=accounts[return_request.customer_id],
                return_request=return_request,
                kind=EntryKind.REALIZED_LOSS if delta > 0 else EntryKind.REVERSAL,
                amount=delta,
                note=SETTLEMENT_NOTES[is_fraud],
            )
        )
    ledger_post(entries=entries)
    return entries
