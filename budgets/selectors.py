"""Reading budgets and ledgers."""

from decimal import Decimal

from django.db import connection

from budgets.choices import BudgetScope
from budgets.constants import (
    ANY_PAYMENT_METHOD,
    CUSTOMER_KEY_SEPARATOR,
    DEFAULT_CUSTOMER_BUDGET,
    DEFAULT_WINDOW_DAYS,
    PORTFOLIO_TYPICAL_MULTIPLE,
)
from budgets.models import BudgetPolicy, LedgerEntry, PortfolioDay

# (payment method, day, sum of the entries, counter) wherever a payment method's day counter
# differs from the sum of that day's entries: none, ever (budgets.services.ledger.ledger_post).
PORTFOLIO_DAYS_UNBALANCED_SQL = f"""
    SELECT payment_method, day, coalesce(e.total, 0), coalesce(d.booked, 0)
    FROM (
        SELECT payment_method, (effective_at AT TIME ZONE 'UTC')::date AS day, sum(amount) AS total
        FROM {LedgerEntry._meta.db_table} GROUP BY 1, 2
    ) AS e
    FULL JOIN {PortfolioDay._meta.db_table} AS d USING (payment_method, day)
    WHERE coalesce(e.total, 0) <> coalesce(d.booked, 0)
"""


def budget_snapshot() -> dict:
    """All budgets as plain data, for a policy version snapshot."""
    snapshot = {
        "default": str(DEFAULT_CUSTOMER_BUDGET),
        "window_days": DEFAULT_WINDOW_DAYS,
        BudgetScope.PAYMENT_METHOD: {},
        BudgetScope.PRODUCT_CATEGORY: {},
        BudgetScope.CUSTOMER: {},
        # Absolute daily budgets by payment method (or ANY_PAYMENT_METHOD); every other
        # method's budget is this multiple of its typical day.
        BudgetScope.PORTFOLIO: {},
        "portfolio_typical_multiple": str(PORTFOLIO_TYPICAL_MULTIPLE),
    }
    for row in BudgetPolicy.objects.order_by("id"):
        if row.scope is None:
            snapshot["default"] = str(row.amount)
            snapshot["window_days"] = row.window_days
        else:
            snapshot[row.scope][row.key] = str(row.amount)
    return snapshot


def customer_budget_key(*, client_name: str, customer_id: str) -> str:
    """The key of a customer's own budget: the retailer's client name and its customer id,
    since another retailer may use the same id for someone else."""
    return f"{client_name}{CUSTOMER_KEY_SEPARATOR}{customer_id}"


def budget_for(
    *,
    budgets: dict,
    client_name: str,
    customer_id: str,
    payment_method: str,
    product_category: str,
):
    """A customer's budget: their own override, else the tightest segment override, else default."""
    own = budgets[BudgetScope.CUSTOMER].get(
        customer_budget_key(client_name=client_name, customer_id=customer_id)
    )
    if own is not None:
        return Decimal(own)
    segment = [
        Decimal(amount)
        for scope, key in (
            (BudgetScope.PAYMENT_METHOD, payment_method),
            (BudgetScope.PRODUCT_CATEGORY, product_category),
        )
        if (amount := budgets[scope].get(key)) is not None
    ]
    return min(segment) if segment else Decimal(budgets["default"])


def portfolio_budget_for(
    *, budgets: dict, payment_method: str, typical_day: Decimal | None
) -> Decimal | None:
    """A payment method's budget for today: its absolute override, else a multiple of its
    typical day's booked loss (`typical_day`, None while there is too little history).

    A method whose typical day books nothing (used on fewer than half the days) has no
    relative budget: a multiple of zero would price every approval on it at the maximum."""
    portfolio = budgets[BudgetScope.PORTFOLIO]
    amount = portfolio.get(payment_method, portfolio.get(ANY_PAYMENT_METHOD))
    if amount is not None:
        return Decimal(amount)
    if typical_day is None or typical_day <= 0:
        return None
    # Snapshots published before relative budgets had an absolute catch-all instead.
    multiple = Decimal(budgets.get("portfolio_typical_multiple", PORTFOLIO_TYPICAL_MULTIPLE))
    return (typical_day * multiple).quantize(Decimal("0.01"))


def ledger_running_balance(*, customer) -> list[dict]:
    """The customer's entries, oldest first, each with the running balance after it."""
    balance = Decimal("0.00")
    rows = []
    entries = LedgerEntry.objects.filter(account__customer=customer).select_related(
        "return_request"
    )
    for entry in entries.order_by("effective_at", "id"):
        balance += entry.amount
        rows.append({"entry": entry, "balance": balance})
    return rows


def portfolio_days_unbalanced() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(PORTFOLIO_DAYS_UNBALANCED_SQL)
        return cursor.fetchall()
