"""Defaults of the budget policy (the peer design's cost model)."""

from decimal import Decimal

DEFAULT_CUSTOMER_BUDGET = Decimal("50.00")
DEFAULT_WINDOW_DAYS = 90
# A payment method's daily portfolio budget, unless an absolute one is set: this many times its
# typical (median) booked loss per day over the last PORTFOLIO_HISTORY_DAYS days. It follows
# the desk's own traffic, so it catches a wave on one payment method, not normal volume.
PORTFOLIO_TYPICAL_MULTIPLE = Decimal("1.5")
PORTFOLIO_HISTORY_DAYS = 28
# With fewer days of history than this, a typical day is not known yet: no relative budget, so
# a fresh install does not trip on its first realistic day.
PORTFOLIO_MIN_HISTORY_DAYS = 7
# Key of the portfolio row that applies to every payment method without its own row.
ANY_PAYMENT_METHOD = "*"
# A customer's own budget is keyed "<client name>/<customer id>": customer ids are the
# retailers' own, so the id alone may name several customers. Ids cannot hold a "/" (intake
# refuses one), so the last "/" of a key always ends the client's name.
CUSTOMER_KEY_SEPARATOR = "/"
