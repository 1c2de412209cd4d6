from decimal import Decimal

import pytest

from budgets.selectors import budget_snapshot, portfolio_budget_for


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typical_day", "budget"),
    [
        (None, None),  # too little history to know a typical day
        (Decimal("0.00"), None),  # a method that books nothing on most days
        (Decimal("400.00"), Decimal("600.00")),  # 1.5 × its typical day
    ],
)
def test_a_relative_portfolio_budget_needs_a_typical_day_that_books_something(typical_day, budget):
    budgets = budget_snapshot()
    assert (
        portfolio_budget_for(budgets=budgets, payment_method="Crypto", typical_day=typical_day)
        == budget
    )
