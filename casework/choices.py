"""Choice sets for cases, verdicts, labels, the decisions feed and outcome events."""

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


class OutcomeKind(models.TextChoices):
    CARRIER_SCAN = "carrier_scan", "Carrier scan"
    INSPECTION = "inspection", "Inspection"
    CHARGEBACK = "chargeback", "Chargeback"
    CUSTOMER_SERVICE = "customer_service", "Customer service"


class CarrierStatus(models.TextChoices):
    IN_TRANSIT = "in_transit", "In transit"
    DELIVERED_TO_WAREHOUSE = "delivered_to_warehouse", "Delivered to warehouse"
    RETURNED_TO_SENDER = "returned_to_sender", "Returned to sender"
    LOST = "lost", "Lost"
    WEIGHT_MISMATCH = "weight_mismatch", "Weight mismatch"


class InspectionResult(models.TextChoices):
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"


class InspectionReason(models.TextChoices):
    EMPTY_BOX = "empty_box", "Empty box"
    WRONG_ITEM = "wrong_item", "Wrong item"
    WORN_OR_USED = "worn_or_used", "Worn or used"
    DAMAGED = "damaged", "Damaged"
    MISSING_PARTS = "missing_parts", "Missing parts"
    OTHER = "other", "Other"
