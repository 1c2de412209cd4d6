"""Forms of the tuning pages (admin) and the economic report."""

from decimal import Decimal

from django import forms

from scoring.models import CostSettings
from scoring.services.tuning import COST_FIELDS
from scoring.services.whatif import DEFAULT_DAYS

MAX_DAYS = 365


class PreviewForm(forms.Form):
    """A form with a Preview button: it validates as usual but then reports itself invalid, so
    the admin re-renders it with the what-if figures instead of saving (see `preview_ready`).
    """

    PREVIEW_BUTTON = "_preview"

    preview_days = forms.IntegerField(
        label="Preview over the last (days)",
        min_value=1,
        max_value=MAX_DAYS,
        initial=DEFAULT_DAYS,
        required=False,
        help_text="Returns decided in this many days are decided again for the Preview.",
    )

    @property
    def preview_requested(self) -> bool:
        return self.is_bound and self.PREVIEW_BUTTON in self.data

    @property
    def preview_ready(self) -> bool:
        """A preview was asked for and the proposed values are valid."""
        return self.preview_requested and not self.errors

    def is_valid(self):
        return super().is_valid() and not self.preview_requested


def _money_field(label: str, help_text: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        help_text=help_text,
        error_messages={"min_value": f"{label} cannot be negative."},
    )


def _probability_field(label: str, help_text: str) -> forms.FloatField:
    message = f"{label} is a probability: between 0 and 1."
    return forms.FloatField(
        label=label,
        min_value=0.0,
        max_value=1.0,
        help_text=help_text,
        error_messages={"min_value": message, "max_value": message},
    )


def _count_field(label: str, help_text: str, unit: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=1,
        help_text=help_text,
        error_messages={"min_value": f"{label} must be at least one {unit}."},
    )


class CostSettingsForm(PreviewForm, forms.ModelForm):
    false_reject_cost = _money_field(
        "False-reject cost", "What rejecting a legitimate return costs (an insulted customer)."
    )
    review_cost = _money_field("Review cost", "What one human review costs.")
    ood_fraud_probability = _probability_field(
        "Pessimistic OOD probability",
        "Fraud probability assumed for a return unlike the training data, when higher than "
        "the model's own.",
    )
    hold_velocity = forms.IntegerField(
        label="Hold velocity (returns in 30 days)",
        min_value=1,
        required=False,
        help_text="A confirmed fraud from a customer returning at least this often puts the "
        "customer on hold, so approving such a customer's return is priced with the budget it "
        "leaves open. Leave empty to price no such exposure.",
        error_messages={"min_value": "Hold velocity must be at least one return."},
    )
    review_capacity_per_day = _count_field(
        "Review capacity per day", "Reviews the team can do in a day.", "review"
    )
    review_capacity_weekdays = forms.CharField(
        label="Review capacity by weekday",
        required=False,
        max_length=100,
        help_text="Monday to Sunday, e.g. 500,500,500,500,500,200,0. Empty: the capacity per "
        "day, every day.",
    )
    review_sla_hours = _count_field(
        "Review SLA (hours)", "A case older than this is overdue in the queue.", "hour"
    )
    audit_reviews_per_day = forms.IntegerField(
        label="Audit reviews per day",
        min_value=0,
        help_text="Reviews a day may spend on a random sample of would-be approvals, favouring "
        "those cheap to check, so that labels include returns the model trusts. They count "
        "against the review capacity; 0 turns the sample off.",
        error_messages={"min_value": "Audit reviews per day cannot be negative."},
    )

    class Meta:
        model = CostSettings
        # The fields the tuning service accepts, so the form and the service cannot disagree.
        fields = list(COST_FIELDS)


class ReportFilterForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=MAX_DAYS, initial=DEFAULT_DAYS, required=False)

    def days_or_default(self) -> int:
        if self.is_bound and self.is_valid() and self.cleaned_data["days"]:
            return self.cleaned_data["days"]
        return DEFAULT_DAYS
