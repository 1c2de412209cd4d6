"""Returns as retailers submitted them, the customers they belong to, and replayable responses."""

from django.contrib.postgres.indexes import GinIndex
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.models import ApiClient
from intake.choices import AttributeType, Outcome, ReturnStatus
from intake.constants import ATTRIBUTE_NAME_PATTERN


class Customer(models.Model):
    """A retailer's customer, identified by the retailer's own id.

    Ids are the retailer's, so two retailers may use the same one for different people: a
    customer belongs to the API client that submitted its returns, and is unique per client.
    """

    # Indexed by unique_customer_per_client, which leads with it.
    client = models.ForeignKey(
        ApiClient, on_delete=models.PROTECT, related_name="customers", db_index=False
    )
    external_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["external_id", "client_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "external_id"], name="unique_customer_per_client"
            )
        ]
        # Reviewers search by the id across every retailer.
        indexes = [models.Index(fields=["external_id"], name="customer_external_idx")]

    def __str__(self):
        return self.external_id

    def get_absolute_url(self):
        # The pk: the retailer's id alone does not say which retailer's customer it is.
        return reverse("casework:customer", args=[self.pk])


class ReturnRequest(models.Model):
    """One product return as a retailer submitted it, and where it stands."""

    # The two keys are indexed by unique_order_per_client and return_customer_received_idx,
    # which lead with them: an index of their own would only cost every insert and update.
    client = models.ForeignKey(
        ApiClient, on_delete=models.PROTECT, related_name="returns", db_index=False
    )
    order_id = models.CharField(max_length=64)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="returns", db_index=False
    )
    order_value = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    product_category = models.CharField(max_length=64)
    payment_method = models.CharField(max_length=64)
    return_ratio = models.FloatField()
    returns_velocity_30d = models.PositiveIntegerField()
    days_since_purchase = models.PositiveIntegerField()
    # Which of return_ratio / returns_velocity_30d were derived rather than submitted.
    derived_fields = models.JSONField(default=list, blank=True)
    # The retailer's own time, kept as information; budgets, portfolio days and velocity count
    # the return at `received_at`, which only history imports set to the past.
    submitted_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    # Hash of the submitted body, to tell an idempotent resubmission from a conflicting one.
    payload_hash = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=ReturnStatus.choices, default=ReturnStatus.PENDING
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices, null=True, blank=True)
    # Tries to decide the return that failed; at DECIDE_MAX_ATTEMPTS it is set aside as failed.
    decide_attempts = models.PositiveSmallIntegerField(default=0)
    decide_error = models.TextField(blank=True)
    is_audit_sample = models.BooleanField(default=False)
    # The retailer's own signals, by declared attribute name (AttributeDefinition); an
    # attribute the return did not carry is absent, never null.
    attributes = models.JSONField(default=dict, blank=True)
    # The API call that submitted it, so the worker's log of its decision names that call too.
    request_id = models.CharField(max_length=64, blank=True)

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
            # The scoring claim and the sweeper look for old pending rows. In the claim's own order,
            # so it stops at its batch however stale the planner's count of pending rows is.
            models.Index(
                fields=["received_at", "id"],
                condition=Q(status="pending"),
                name="return_pending_claim_idx",
            ),
            models.Index(fields=["customer", "received_at"], name="return_customer_received_idx"),
            # The queue filtered by a return's fields reads the returns in review, not them all.
            models.Index(
                fields=["order_value"], condition=Q(status="in_review"), name="return_in_review_idx"
            ),
            models.Index(fields=["order_id"], name="return_order_idx"),
            # Rules and lists look returns up by an attribute's value (`attributes @> {...}`).
            GinIndex(
                fields=["attributes"], opclasses=["jsonb_path_ops"], name="return_attributes_gin"
            ),
        ]

    def __str__(self):
        return self.order_id

    def get_absolute_url(self):
        return reverse("api:return-detail", args=[self.order_id])


class AttributeDefinition(models.Model):
    """A signal the desk's retailers may send with a return, in its `attributes` object.

    The name and type are fixed once declared, since stored returns, rules and models refer to
    them; an attribute no longer wanted is made inactive, and returns carrying it are refused.
    """

    name = models.CharField(
        max_length=40,
        unique=True,
        validators=[
            RegexValidator(
                ATTRIBUTE_NAME_PATTERN,
                "Lower-case letters, digits and '_', starting with a letter (at most 40).",
            )
        ],
        help_text="The key in a return's `attributes`, e.g. device_id.",
    )
    type = models.CharField(max_length=16, choices=AttributeType.choices)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(name__regex=ATTRIBUTE_NAME_PATTERN), name="attribute_name_format"
            ),
            models.CheckConstraint(
                condition=Q(type__in=AttributeType.values), name="attribute_type_known"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.type})"


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
