"""Defaults of the budget policy (the peer design's cost model)."""

from decimal import Decimal

DEFAULT_CUSTOMER_BUDGET = Decimal("50.00")
DEFAULT_WINDOW_DAYS = 90
DEFAULT_PORTFOLIO_BUDGET = Decimal("2000.00")
# Key of the portfolio row that applies to every payment method without its own row.
ANY_PAYMENT_METHOD = "*"
