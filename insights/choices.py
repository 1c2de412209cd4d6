"""Choice sets of insights."""

from django.db import models


class DriftStatus(models.TextChoices):
    OK = "ok", "OK"
    WARN = "warn", "Warning"
    ALARM = "alarm", "Alarm"
    # Too few returns in the window for a PSI to mean anything.
    INSUFFICIENT = "insufficient", "Too few returns"
