"""Returns as submitted, the review cases and verdicts they lead to, and who may touch them."""

from django.conf import settings
from django.db import models
from django.db.models import BigIntegerField, Func, Q, TextField
from django.db.models.functions import Cast
from django.urls import reverse

from casework.choices import (
    ApiRole,
    CaseStatus,
    FeedKind,
    LabelSource,
    Outcome,
    ReturnStatus,
    VerdictChoice,
)


class ApiClient(models.Model):
    """A machine that calls the API: a retailer's submitter or a reviewing integration.

    Only a SHA-256 of the key is stored; the key itself is shown once, at creation.
    """

    name = models.CharField(max_length=100, unique=True)
    role = models.CharField(max_length=16, choices=ApiRole.choices)
    key_prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.role})"

    # DRF treats request.user as the principal; an API client is always authenticated.
    @property
    def is_authenticated(self):
        return True


class Customer(models.Model):
    """A retailer's customer, identified by the retailer's own id."""

    external_id = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["external_id"]

    def __str__(self):
        return self.external_id

    def get_absolute_url(self):
        return reverse("casework:customer", args=[self.external_id])


class ReturnRequest(models.Model):
    """One product return as a retailer submitted it, and where it stands."""

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="returns")
    order_id = models.CharField(max_length=64)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="returns")
    order_value = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    product_category = models.CharField(max_length=64)
    payment_method = models.CharField(max_length=64)
    return_ratio = models.FloatField()
    returns_velocity_30d = models.PositiveIntegerField()
    days_since_purchase = models.PositiveIntegerField()
    # Which of return_ratio / returns_velocity_30d were derived rather than submitted.
    derived_fields = models.JSONField(default=list, blank=True)
    submitted_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    # Hash of the submitted body, to tell an idempotent resubmission from a conflicting one.
    payload_hash = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=ReturnStatus.choices, default=ReturnStatus.PENDING
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices, null=True, blank=True)
    is_audit_sample = models.BooleanField(default=False)
    # A return of a customer whose case was still open joins that case: it waits for the case's
    # verdict, which settles it too, instead of buying a review of its own.
    joined_case = models.ForeignKey(
        "ReviewCase",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="joined_returns",
    )

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["client", "order_id"], name="unique_order_per_client"),
            models.CheckConstraint(
                condition=Q(order_value__gte=0), name="order_value_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(return_ratio__gte=0) & Q(return_ratio__lte=1), name="return_ratio_0_1"
            ),
        ]
        indexes = [
            # The scoring claim and the sweeper look for old pending rows.
            models.Index(
                fields=["received_at"], condition=Q(status="pending"), name="return_pending_idx"
            ),
            models.Index(fields=["customer", "submitted_at"], name="return_customer_time_idx"),
            models.Index(fields=["order_id"], name="return_order_idx"),
        ]

    def __str__(self):
        return self.order_id

    def get_absolute_url(self):
        return reverse("api:return-detail", args=[self.order_id])


class ReviewCase(models.Model):
    """A return waiting for, or having had, a human look: open → claimed → resolved."""

    return_request = models.OneToOneField(
        ReturnRequest, on_delete=models.PROTECT, related_name="review_case"
    )
    decision = models.OneToOneField(
        "scoring.Decision", on_delete=models.PROTECT, related_name="review_case"
    )
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    # Expected cost a review saves: min(cost of approve, cost of reject) - review cost.
    priority = models.DecimalField(max_digits=14, decimal_places=2)
    reason_codes = models.JSONField(default=list)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claimed_cases",
    )
    assignee_client = models.ForeignKey(
        ApiClient, null=True, blank=True, on_delete=models.PROTECT, related_name="claimed_cases"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-priority", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="claimed") | Q(claim_expires_at__isnull=False),
                name="claimed_case_has_expiry",
            ),
            models.CheckConstraint(
                condition=~(Q(assignee__isnull=False) & Q(assignee_client__isnull=False)),
                name="case_has_one_assignee",
            ),
        ]
        indexes = [
            models.Index(
                fields=["-priority", "created_at", "id"],
                condition=~Q(status="resolved"),
                name="case_queue_idx",
            ),
            models.Index(fields=["status", "claim_expires_at"], name="case_claim_expiry_idx"),
        ]

    def __str__(self):
        return f"Case {self.pk} ({self.return_request_id})"

    def get_absolute_url(self):
        return reverse("casework:case", args=[self.pk])


class Verdict(models.Model):
    """A reviewer's final word on a case."""

    case = models.OneToOneField(ReviewCase, on_delete=models.PROTECT, related_name="verdict")
    verdict = models.CharField(max_length=16, choices=VerdictChoice.choices)
    hold_customer = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    reviewer_client = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.verdict} on case {self.case_id}"


class Label(models.Model):
    """Ground truth about a return, from a verdict, an inspection or a chargeback.

    Labels are kept when they conflict; the newest observation is authoritative.
    """

    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.PROTECT, related_name="labels"
    )
    is_fraud = models.BooleanField()
    source = models.CharField(max_length=32, choices=LabelSource.choices)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    client = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.PROTECT)
    observed_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-observed_at", "-id"]
        indexes = [models.Index(fields=["return_request", "-observed_at"], name="label_newest_idx")]

    def __str__(self):
        return f"{'fraud' if self.is_fraud else 'legitimate'} ({self.source})"


class IdempotencyRecord(models.Model):
    """A response remembered for an Idempotency-Key, replayed for 24 hours."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    request_path = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="unique_idempotency_key")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self):
        return self.key


class FeedEvent(models.Model):
    """One entry of the decisions feed: a decision made or an outcome changed.

    `xact_id` is the writing transaction's id (set by the database); the feed is read in
    (xact_id, id) order and only below the oldest running transaction, so a client paging
    with a cursor never skips an event that commits late.
    """

    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.PROTECT, related_name="feed_events"
    )
    kind = models.CharField(max_length=16, choices=FeedKind.choices)
    xact_id = models.BigIntegerField(
        editable=False,
        db_default=Cast(Cast(Func(function="pg_current_xact_id"), TextField()), BigIntegerField()),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["xact_id", "id"]
        indexes = [models.Index(fields=["xact_id", "id"], name="feed_cursor_idx")]

    def __str__(self):
        return f"{self.kind} {self.return_request_id}"


class AuditEvent(models.Model):
    """An append-only record of who changed what: claims, verdicts, holds, money, models."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    actor_client = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.PROTECT)
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self):
        return f"{self.actor_label} {self.action} {self.object_type}:{self.object_id}"
