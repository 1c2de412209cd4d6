"""Choice sets for decisions."""

from django.db import models


class Action(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    REVIEW = "review", "Review"


class DriftStatus(models.TextChoices):
    OK = "ok", "OK"
    WARN = "warn", "Warning"
    ALARM = "alarm", "Alarm"
    # Too few returns in the window for a PSI to mean anything.
    INSUFFICIENT = "insufficient", "Too few returns"
