"""What insights record: champion/challenger comparisons and daily drift snapshots."""

from django.db import models
from django.db.models import Q

from insights.choices import DriftStatus
from scoring.models import ModelVersion


class ModelComparison(models.Model):
    """One retraining: a challenger against the active model on held-out labelled returns.

    Costs are realized cost per held-out return under the current cost settings; the row says
    whether the challenger was activated and why.
    """

    challenger = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="comparisons_as_challenger"
    )
    champion = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="comparisons_as_champion"
    )
    holdout_size = models.PositiveIntegerField()
    challenger_cost = models.DecimalField(
        max_digits=12, decimal_places=4, help_text="Realized cost per held-out return."
    )
    champion_cost = models.DecimalField(max_digits=12, decimal_places=4)
    challenger_ece = models.FloatField()
    champion_ece = models.FloatField()
    challenger_brier = models.FloatField()
    champion_brier = models.FloatField()
    margin = models.DecimalField(
        max_digits=12, decimal_places=4, help_text="Saving per return needed to promote."
    )
    promoted = models.BooleanField()
    reason = models.TextField()
    # Sizes of the training set's parts and the hold-out's time span, for the record.
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(challenger=models.F("champion")), name="challenger_is_not_champion"
            )
        ]

    def __str__(self):
        verdict = "promoted" if self.promoted else "kept champion"
        return f"{self.challenger} vs {self.champion}: {verdict}"


class DriftSnapshot(models.Model):
    """One day's drift check: PSI per feature and of the fraud score, OOD rate, calibration.

    `metrics` holds {"window_days", "returns", "features": [{"feature", "psi", "status"}],
    "ood_rate", "calibration": {"labelled", "ece"}, ...}; `status` is the worst PSI status.
    """

    date = models.DateField(unique=True)
    status = models.CharField(max_length=16, choices=DriftStatus.choices)
    metrics = models.JSONField()
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date"]

    def __str__(self):
        return f"drift {self.date}: {self.status}"
