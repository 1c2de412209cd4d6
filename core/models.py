"""Who acts on the desk and what they did: API clients, their keys, and the append-only audit
trail."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.choices import ApiRole


class ApiClient(models.Model):
    """A machine that calls the API: a retailer (the tenant that owns returns and customers) or
    one of the desk's own reviewing integrations. It calls with its keys (ApiKey)."""

    name = models.CharField(max_length=100, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    # DRF treats request.user as the principal; an API client is always authenticated.
    @property
    def is_authenticated(self):
        return True


class ApiKey(models.Model):
    """One named key of a client. Only a SHA-256 of the key is stored; the key itself is shown
    once, when it is made.

    The role is the key's, not the client's: the client is the tenant (whose returns, customers
    and labels a key reaches), and a retailer hands a narrower key to each of its systems, such
    as a labeler key to its chargeback feed, without becoming a second client that cannot see
    its own history.
    """

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="keys")
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=16, choices=ApiRole.choices)
    prefix = models.CharField(max_length=12, db_index=True)
    hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["client__name", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="api_key_name_per_client"),
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True)
                | models.Q(expires_at__gt=models.F("created_at")),
                name="api_key_expires_after_creation",
            ),
        ]

    def __str__(self):
        return f"{self.client.name}/{self.name} ({self.role})"

    def is_valid_at(self, moment) -> bool:
        return self.revoked_at is None and (self.expires_at is None or moment < self.expires_at)


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
