"""Choice sets of the platform layer: API key roles."""

from django.db import models


class ApiRole(models.TextChoices):
    SUBMITTER = "submitter", "Submitter"
    REVIEWER = "reviewer", "Reviewer"
    LABELER = "labeler", "Labeler"
