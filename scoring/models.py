"""Model versions, the cost settings and policy versions, and the decisions they produce."""

from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from scoring.choices import Action, ListKind

WEEKDAYS = 7


def weekday_capacities(text: str) -> list[int] | None:
    """Seven counts, Monday first, from 'a,b,c,d,e,f,g'; None for an empty text."""
    if not text.strip():
        return None
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != WEEKDAYS or not all(part.isascii() and part.isdigit() for part in parts):
        raise ValueError("seven whole numbers, Monday to Sunday, separated by commas")
    return [int(part) for part in parts]


def validate_weekday_capacities(text: str) -> None:
    try:
        weekday_capacities(text)
    except ValueError as exc:
        raise ValidationError(f"Capacity by weekday needs {exc}.") from exc


class ModelVersion(models.Model):
    """A trained fraud model and OOD gate, with the hashes that make its artifacts trustworthy."""

    version = models.CharField(max_length=64, unique=True)
    # Relative to settings.MODEL_ARTIFACT_DIR; never taken from a request.
    artifact_dir = models.CharField(max_length=255)
    artifact_hashes = models.JSONField(help_text="SHA-256 of each artifact file")
    feature_schema = models.JSONField()
    training_data = models.CharField(max_length=255)
    training_data_hash = models.CharField(max_length=64)
    code_version = models.CharField(max_length=64)
    metrics = models.JSONField()
    is_active = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_model"
            )
        ]

    def __str__(self):
        return self.version


class CostSettings(models.Model):
    """The prices of the policy's choices. Editing creates a new policy version."""

    false_reject_cost = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("200.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Cost of rejecting a legitimate return (an insulted customer).",
    )
    review_cost = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("50.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Cost of one human review.",
    )
    ood_fraud_probability = models.FloatField(
        default=0.7,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Pessimistic fraud probability assumed for an out-of-distribution return "
        "when it is higher than the model's own.",
    )
    hold_velocity = models.PositiveSmallIntegerField(
        default=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="A confirmed fraud from a customer returning at least this often in 30 days "
        "puts the customer on hold; approving such a customer's return is priced with the "
        "budget it leaves open. Empty: no such pricing.",
    )
    review_capacity_per_day = models.PositiveIntegerField(
        default=500,
        help_text="Review cases the team can open in a day. Near it a review is priced above its "
        "cost, so only the most valuable open; a full day opens none.",
    )
    review_capacity_weekdays = models.CharField(
        max_length=100,
        blank=True,
        default="",
        validators=[validate_weekday_capacities],
        help_text="Capacity by weekday, Monday to Sunday, e.g. 500,500,500,500,500,200,0. "
        "Empty: the capacity per day, every day.",
    )
    review_sla_hours = models.PositiveIntegerField(default=4)
    audit_reviews_per_day = models.PositiveIntegerField(
        default=4,
        help_text="Reviews a day may spend on a random sample of would-be approvals, so that "
        "labels include returns the model trusts; they count against the review capacity.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "cost settings"
        constraints = [
            models.CheckConstraint(condition=Q(false_reject_cost__gte=0), name="frc_not_negative"),
            models.CheckConstraint(condition=Q(review_cost__gte=0), name="review_not_negative"),
            models.CheckConstraint(
                condition=Q(ood_fraud_probability__gte=0) & Q(ood_fraud_probability__lte=1),
                name="ood_probability_0_1",
            ),
        ]

    def __str__(self):
        return f"review {self.review_cost}, false reject {self.false_reject_cost}"


class PolicyVersion(models.Model):
    """An immutable snapshot of costs and budgets; every decision names the one it used."""

    snapshot = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"policy v{self.pk}"


class Rule(models.Model):
    """A fraud team's rule: conditions on a return, an effect, and a name the reasons show.

    `definition` is the working copy an editor saves (scoring.rules validates it); `published`
    is what policy versions carry: {"version", "mode", "name", "definition"}, set by publishing.
    """

    name = models.CharField(max_length=120, unique=True)
    definition = models.JSONField()
    version = models.PositiveIntegerField(default=0, help_text="Times it was published.")
    published = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def mode(self) -> str | None:
        """How the published version takes part in decisions; None if never published."""
        return self.published["mode"] if self.published else None

    @property
    def has_draft(self) -> bool:
        """Whether the working copy differs from what was published."""
        return not self.published or (
            self.published["definition"] != self.definition or self.published["name"] != self.name
        )


class RuleList(models.Model):
    """An allow or block list of values of one field, named by rules: customer ids, or the
    values of a category or identifier attribute (`attributes.device_id`)."""

    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=8, choices=ListKind.choices)
    # A ListField value or `attributes.<name>` (scoring.services.lists.list_field_choices).
    field = models.CharField(max_length=52)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ListEntry(models.Model):
    """One value on a list, with why, who put it there and until when (empty: no end)."""

    rule_list = models.ForeignKey(RuleList, on_delete=models.CASCADE, related_name="entries")
    value = models.CharField(max_length=200)
    reason = models.CharField(max_length=500)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["value"]
        constraints = [
            models.UniqueConstraint(fields=["rule_list", "value"], name="one_entry_per_value")
        ]

    def __str__(self):
        return f"{self.value} on {self.rule_list}"


class Decision(models.Model):
    """The action taken on one return, with the numbers and reasons behind it. One per return."""

    return_request = models.OneToOneField(
        "intake.ReturnRequest", on_delete=models.PROTECT, related_name="decision"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    fraud_probability = models.FloatField(help_text="The model's calibrated probability.")
    probability_used = models.FloatField(help_text="The probability the policy priced with.")
    ood_score = models.FloatField()
    ood_threshold = models.FloatField()
    ood = models.BooleanField()
    ood_novelty_share = models.FloatField(
        db_default=1.0, help_text="Share of the gate's recent flags beyond its false-alarm rate."
    )
    cost_approve = models.DecimalField(max_digits=14, decimal_places=2)
    cost_reject = models.DecimalField(max_digits=14, decimal_places=2)
    cost_review = models.DecimalField(max_digits=14, decimal_places=2)
    reasons = models.JSONField(default=list)
    contributions = models.JSONField(default=list)
    booked_loss = models.DecimalField(
        max_digits=14, decimal_places=2, help_text="Customer's booked loss in the window, before."
    )
    budget = models.DecimalField(max_digits=14, decimal_places=2)
    portfolio_booked = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        db_default=Decimal("0.00"),
        help_text="Loss booked that day on the return's payment method, before.",
    )
    # The constraint prices in force (scoring.policy.PolicyOutcome.prices): portfolio budget
    # and λ, review price, capacity and its use; enough to decide the return again exactly.
    prices = models.JSONField(default=dict, blank=True)
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT)
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT)
    # The rule versions of the policy version that held for the return, shadow ones included:
    # [{"rule": id, "version", "name", "shadow"}].
    rules_fired = models.JSONField(default=list, db_default=[], blank=True)
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at"]
        indexes = [models.Index(fields=["decided_at"], name="decision_time_idx")]

    def __str__(self):
        return f"{self.action} {self.return_request_id}"

    @property
    def remaining_budget(self):
        return self.budget - self.booked_loss


class DecisionHour(models.Model):
    """What the decisions of one hour (UTC) did, counted in the transactions that made them: the
    policy's rates over the last day and its reviews opened today read these few rows, not every
    decision of the day (scoring.services.decision_hours)."""

    hour = models.DateTimeField(unique=True)
    decided = models.PositiveIntegerField(default=0)
    approved = models.PositiveIntegerField(default=0)
    ood_flagged = models.PositiveIntegerField(default=0)
    # Review cases the hour's decisions opened (a return joining an open case opens none), and
    # how many of them are the audit sample.
    cases_opened = models.PositiveIntegerField(default=0)
    audit_cases_opened = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["hour"]

    def __str__(self):
        return f"{self.hour:%Y-%m-%d %H}:00 {self.decided} decided"

    @staticmethod
    def hour_of(moment: datetime) -> datetime:
        """The hour (UTC) `moment` is counted in."""
        return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
