"""Choice sets for cases, verdicts, labels and the decisions feed."""

from django.db import models


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


class FeedKind(models.TextChoices):
    DECISION = "decision", "Decision made"
    OUTCOME = "outcome", "Outcome changed"
