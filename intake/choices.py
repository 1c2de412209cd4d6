"""Choice sets for returns."""

from django.db import models


class ReturnStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DECIDED = "decided", "Decided"
    IN_REVIEW = "in_review", "In review"
    RESOLVED = "resolved", "Resolved"
    # Could not be decided in DECIDE_MAX_ATTEMPTS tries; waits for an operator's retry.
    FAILED = "failed", "Failed"


class Outcome(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class AttributeType(models.TextChoices):
    """What a declared attribute's values are."""

    NUMBER = "number", "Number"
    CATEGORY = "category", "Category"
    BOOLEAN = "boolean", "Boolean"
    # A string that names one thing, such as a device id: matched exactly, never a model input.
    IDENTIFIER = "identifier", "Identifier"
