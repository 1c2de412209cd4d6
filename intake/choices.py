"""Choice sets for returns."""

from django.db import models


class ReturnStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DECIDED = "decided", "Decided"
    IN_REVIEW = "in_review", "In review"
    RESOLVED = "resolved", "Resolved"


class Outcome(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
