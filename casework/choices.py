"""Choice sets for returns, cases, verdicts, labels and API clients."""

from django.db import models


class ReturnStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DECIDED = "decided", "Decided"
    IN_REVIEW = "in_review", "In review"
    RESOLVED = "resolved", "Resolved"


class Outcome(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLAIMED = "claimed", "Claimed"
    RESOLVED = "resolved", "Resolved"


class VerdictChoice(models.TextChoices):
    FRAUD = "fraud", "Fraud"
    LEGITIMATE = "legitimate", "Legitimate"


class LabelSource(models.TextChoices):
    REVIEW = "review", "Reviewer verdict"
    INSPECTION = "inspection", "Warehouse inspection"
    CHARGEBACK = "chargeback", "Chargeback"
    CUSTOMER_SERVICE = "customer_service", "Customer service"


class ApiRole(models.TextChoices):
    SUBMITTER = "submitter", "Submitter"
    REVIEWER = "reviewer", "Reviewer"


class FeedKind(models.TextChoices):
    DECISION = "decision", "Decision made"
    OUTCOME = "outcome", "Outcome changed"
