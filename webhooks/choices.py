"""Choice sets of webhooks: event types and delivery states."""

from django.db import models


class EventType(models.TextChoices):
    DECISION_CREATED = "decision.created", "A return was decided"
    CASE_OPENED = "case.opened", "A review case was opened"
    CASE_RESOLVED = "case.resolved", "A review case got its verdict"
    RETURN_OUTCOME_CHANGED = "return.outcome_changed", "What a return turned out to be changed"
    CUSTOMER_HOLD_PLACED = "customer.hold_placed", "A customer was put on hold"
    CUSTOMER_HOLD_RELEASED = "customer.hold_released", "A customer's hold was released"
    MODEL_ACTIVATED = "model.activated", "A model version went into service (desk-wide only)"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Given up"
