"""Per-customer loss ledgers, the budgets they are held to, and holds on customers."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from budgets.choices import BudgetScope, EntryKind, HoldMode


class LedgerAccount(models.Model):
    """A customer's loss account. Its row lock serialises budget checks and bookings.

    `balance` always equals the sum of the account's entries (same transaction).
    """

    customer = models.OneToOneField(
        "intake.Customer", on_delete=models.PROTECT, related_name="ledger_account"
    )
    balance = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"ledger of {self.customer_id}"


class LedgerEntry(models.Model):
    """One append-only booking: an expected loss, a realized loss, or a reversal."""

    # Indexed by ledger_window_idx, which leads with it.
    account = models.ForeignKey(
        LedgerAccount, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    return_request = models.ForeignKey(
        "intake.ReturnRequest", on_delete=models.PROTECT, related_name="ledger_entries"
    )
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    # The time the booking counts at: when the return was received (see ReturnRequest).
    effective_at = models.DateTimeField()
    payment_method = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["effective_at", "id"]
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["account", "effective_at"], name="ledger_window_idx"),
            models.Index(fields=["payment_method", "effective_at"], name="ledger_portfolio_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.amount}"


class PortfolioDay(models.Model):
    """The loss booked on one payment method on one day: the sum of its entries that day.

    ledger_post moves it with the entries, in one statement at the end of a batch, so deciding
    workers read it without waiting on each other and lock its row only while they commit.
    """

    payment_method = models.CharField(max_length=64)
    day = models.DateField()
    booked = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["payment_method", "day"], name="one_portfolio_day")
        ]

    def __str__(self):
        return f"{self.payment_method} on {self.day}: {self.booked}"


class BudgetPolicy(models.Model):
    """The loss budgets: one default row plus overrides by segment, by customer, and portfolio.

    Budget for a return = the customer's override, else the tightest matching segment
    override, else the default. Portfolio rows cap a payment method's booked loss per day.
    """

    scope = models.CharField(max_length=32, choices=BudgetScope.choices, null=True, blank=True)
    key = models.CharField(
        max_length=200,
        blank=True,
        help_text="Payment method, category, or client name/customer id (customer ids are the "
        "retailers' own, so a customer's budget names its retailer).",
    )
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    window_days = models.PositiveIntegerField(default=90)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "budget policies"
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key"], name="unique_budget_scope_key", nulls_distinct=False
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_not_negative"),
            models.CheckConstraint(
                condition=Q(scope__isnull=True, key="") | Q(scope__isnull=False) & ~Q(key=""),
                name="budget_override_has_key",
            ),
        ]

    def __str__(self):
        if self.scope is None:
            return f"default budget {self.amount}"
        return f"{self.get_scope_display()} {self.key}: {self.amount}"


class CustomerHold(models.Model):
    """A stop on a customer: later returns are rejected (or reviewed) without pricing."""

    customer = models.ForeignKey("intake.Customer", on_delete=models.PROTECT, related_name="holds")
    mode = models.CharField(max_length=16, choices=HoldMode.choices, default=HoldMode.REJECT)
    reason = models.CharField(max_length=255)
    # The return whose review (or overspend) led to the hold, when one did.
    return_request = models.ForeignKey(
        "intake.ReturnRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(released_at__isnull=True), name="one_active_hold"
            )
        ]

    def __str__(self):
        return f"hold on {self.customer_id} ({self.mode})"
