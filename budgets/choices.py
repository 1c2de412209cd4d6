"""Choice sets for ledgers, budgets and holds."""

from django.db import models


class EntryKind(models.TextChoices):
    EXPECTED_LOSS = "expected_loss", "Expected loss of an approval"
    REALIZED_LOSS = "realized_loss", "Realized loss of a confirmed fraud"
    REVERSAL = "reversal", "Reversal of an earlier booking"


class BudgetScope(models.TextChoices):
    PAYMENT_METHOD = "payment_method", "Customers paying with"
    PRODUCT_CATEGORY = "product_category", "Customers returning a"
    CUSTOMER = "customer", "One customer"
    PORTFOLIO = "portfolio", "Portfolio per payment method per day"


class HoldMode(models.TextChoices):
    REJECT = "reject", "Reject later returns"
    REVIEW = "review", "Send later returns to review"
