"""Webhook endpoints, the outbox of events they are sent, and every delivery attempt."""

from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.models import ApiClient
from intake.models import ReturnRequest
from webhooks.choices import DeliveryStatus, EventType
from webhooks.constants import DESK_WIDE_EVENTS


class WebhookEndpoint(models.Model):
    """A URL that is sent the events it subscribes to, signed with its secret.

    An endpoint of an API client gets the events about that client's returns and customers; one
    without a client is desk-wide (admins only): it gets every client's events and may
    subscribe to `model.activated`. The raw secret is kept because signing needs it; it is
    shown once when made or rotated and never logged. After a rotation the previous secret
    signs too until `previous_secret_expires_at`. A deleted endpoint keeps its delivery log.
    """

    client = models.ForeignKey(
        ApiClient,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        help_text="Empty: a desk-wide endpoint that gets every client's events.",
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = ArrayField(models.CharField(max_length=32, choices=EventType.choices))
    is_enabled = models.BooleanField(default=True)
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    # After a failure nothing is sent to the endpoint until then (its own backoff).
    paused_until = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(client__isnull=True)
                | ~Q(event_types__overlap=sorted(DESK_WIDE_EVENTS)),
                name="webhook_desk_wide_events_need_a_desk_wide_endpoint",
            ),
            models.CheckConstraint(
                condition=~Q(event_types=[]), name="webhook_endpoint_subscribes_to_something"
            ),
        ]

    def __str__(self):
        return f"{self.client or 'desk-wide'} → {self.url}"

    def signing_secrets(self, now) -> list[str]:
        """The secrets that sign a delivery now: the current one, and the previous one while
        its overlap lasts."""
        secrets = [self.secret]
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and expires > now:
            secrets.append(self.previous_secret)
        return secrets


class WebhookEvent(models.Model):
    """One event in the outbox, written in the transaction of the change it reports.

    Only events some endpoint subscribes to are written. Its body is rebuilt from the row on
    every attempt, byte for byte the same, so `evt_<id>` lets a receiver drop a repeat.
    """

    event_type = models.CharField(max_length=32, choices=EventType.choices)
    client = models.ForeignKey(
        ApiClient, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["created_at"], name="webhook_event_created_idx")]

    def __str__(self):
        return f"{self.public_id} {self.event_type}"

    @property
    def public_id(self) -> str:
        return f"evt_{self.pk}"


class WebhookDelivery(models.Model):
    """An event on its way to one endpoint: pending until a 2xx answer, or given up.

    Deliveries of one return to one endpoint go in event order: one waits while an earlier
    one is pending (`return_request` is the event's, kept here for that check).
    """

    event = models.ForeignKey(WebhookEvent, on_delete=models.PROTECT, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries"
    )
    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due_idx",
                condition=Q(status=DeliveryStatus.PENDING),
            ),
            models.Index(
                fields=["endpoint", "return_request", "id"],
                name="webhook_delivery_order_idx",
                condition=Q(status=DeliveryStatus.PENDING),
            ),
        ]

    def __str__(self):
        return f"{self.event} → endpoint {self.endpoint_id}: {self.status}"


class DeliveryAttempt(models.Model):
    """One HTTP request of a delivery and what came back: kept for the delivery log."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField()
    succeeded = models.BooleanField()
    # The start of the response body, or why there was none (a timeout, a refused connection).
    response_excerpt = models.CharField(max_length=300, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"delivery {self.delivery_id} at {self.attempted_at}: {self.status_code}"
