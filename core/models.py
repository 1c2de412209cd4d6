"""Who acts on the desk and what they did: API clients and the append-only audit trail."""

from django.conf import settings
from django.db import models

from core.choices import ApiRole


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
