"""Forms of the tuning pages (admin), with what-if previews, and of the economic report."""

import json
from decimal import Decimal

from django import forms

from budgets.choices import BudgetScope
from budgets.constants import ANY_PAYMENT_METHOD, CUSTOMER_KEY_SEPARATOR
from budgets.models import BudgetPolicy
from core.models import ApiClient
from insights.services.whatif import DEFAULT_DAYS
from scoring.choices import ListField, ListKind
from scoring.models import CostSettings
from scoring.services.tuning import BUDGET_FIELDS, COST_FIELDS

MAX_DAYS = 365
KEY_MEANING = {
    BudgetScope.PAYMENT_METHOD: "the payment method",
    BudgetScope.PRODUCT_CATEGORY: "the product category",
    BudgetScope.CUSTOMER: (
        f"the client name and the customer id, as client{CUSTOMER_KEY_SEPARATOR}customer-id "
        "(the same id at another retailer is another customer)"
    ),
    BudgetScope.PORTFOLIO: f"a payment method, or {ANY_PAYMENT_METHOD} for every one",
}


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


class BudgetPolicyForm(PreviewForm, forms.ModelForm):
    amount = forms.DecimalField(
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        help_text="Loss a customer may have booked in the window (portfolio: per day).",
        error_messages={"min_value": "A budget cannot be negative."},
    )
    window_days = forms.IntegerField(
        min_value=1,
        initial=90,
        help_text="Days of booked loss a customer's budget counts; set on the default only.",
        error_messages={"min_value": "The window must be at least one day."},
    )

    class Meta:
        model = BudgetPolicy
        fields = list(BUDGET_FIELDS)
        labels = {"scope": "Scope (empty: the default budget)"}

    def clean(self):
        cleaned = super().clean()
        scope, key = cleaned.get("scope"), (cleaned.get("key") or "").strip()
        cleaned["key"] = key
        was_default = self.instance.pk is not None and self.instance.scope is None
        if scope is None:
            if key:
                self.add_error("key", "The default budget has no key; choose a scope for it.")
            elif not was_default and BudgetPolicy.objects.filter(scope__isnull=True).exists():
                self.add_error("scope", "There is a default budget already; change that one.")
        else:
            if was_default:
                self.add_error(
                    "scope", "The default budget cannot become an override; add an override."
                )
            if not key:
                self.add_error(
                    "key", f"An override needs a key: {KEY_MEANING[BudgetScope(scope)]}."
                )
            elif scope == BudgetScope.CUSTOMER and not self._names_a_client(key):
                self.add_error("key", f"The key of a customer budget is {KEY_MEANING[scope]}.")
            elif (
                BudgetPolicy.objects.filter(scope=scope, key=key)
                .exclude(pk=self.instance.pk)
                .exists()
            ):
                self.add_error("key", f"There is a {scope} budget for {key} already.")
            if "window_days" in self.changed_data:
                self.add_error(
                    "window_days", "Only the default budget has a window; overrides use it."
                )
        return cleaned

    @staticmethod
    def _names_a_client(key: str) -> bool:
        client_name, separator, customer_id = key.rpartition(CUSTOMER_KEY_SEPARATOR)
        return (
            bool(separator and customer_id) and ApiClient.objects.filter(name=client_name).exists()
        )

    def budget_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in BUDGET_FIELDS}


class ReportFilterForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=MAX_DAYS, initial=DEFAULT_DAYS, required=False)

    def days_or_default(self) -> int:
        if self.is_bound and self.is_valid() and self.cleaned_data["days"]:
            return self.cleaned_data["days"]
        return DEFAULT_DAYS


RULE_EXAMPLE = {
    "when": {
        "all": [
            {"field": "product_category", "op": "eq", "value": "Electronics"},
            {"field": "order_value", "op": "gt", "value": 500},
        ]
    },
    "effect": {"type": "probability_floor", "value": 0.25},
}


class RuleForm(forms.Form):
    """A rule's name and definition (JSON, see scoring.rules) and the days a test run covers.

    The definition's content is checked by the rules service, whose errors name the part of
    the definition that is wrong (`add_rule_errors`)."""

    name = forms.CharField(
        max_length=120, help_text="Shown as the reason on every decision the rule acts on."
    )
    definition = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false"}),
        max_length=20000,
        help_text='Conditions under when ({"all": [...]} is AND, {"any": [...]} is OR) and '
        "an effect.",
    )
    days = forms.IntegerField(
        label="Test run over the last (days)",
        min_value=1,
        max_value=MAX_DAYS,
        initial=DEFAULT_DAYS,
        required=False,
    )

    def __init__(self, *args, rule=None, **kwargs):
        initial = {
            "name": rule.name if rule else "",
            "definition": json.dumps(rule.definition if rule else RULE_EXAMPLE, indent=2),
        }
        super().__init__(*args, initial=initial, **kwargs)

    def clean_definition(self):
        try:
            return json.loads(self.cleaned_data["definition"])
        except ValueError as exc:
            raise forms.ValidationError(f"Not JSON: {exc}") from exc

    def clean_days(self):
        return self.cleaned_data["days"] or DEFAULT_DAYS

    def add_rule_errors(self, errors: dict) -> None:
        for path, message in errors.items():
            if path == "name":
                self.add_error("name", message)
            else:
                self.add_error("definition", f"{path}: {message}")


class RuleListForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="Rules name it: FIELD in_list NAME.")
    kind = forms.ChoiceField(choices=ListKind.choices)
    field = forms.ChoiceField(
        label="Values of",
        required=False,
        initial=ListField.CUSTOMER_ID,
        help_text="Customer ids, or a category or identifier attribute such as a device id.",
    )

    def __init__(self, *args, field_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = field_choices

    def clean_field(self):
        return self.cleaned_data["field"] or ListField.CUSTOMER_ID


class ListEntryForm(forms.Form):
    value = forms.CharField(max_length=200)
    reason = forms.CharField(max_length=500)
    expires_at = forms.CharField(
        max_length=40, required=False, label="Expires", help_text="Empty: never; or 2027-01-31."
    )


class ListUploadForm(forms.Form):
    file = forms.FileField(help_text="CSV with columns value, reason and optionally expires_at.")


def add_service_errors(form, errors: dict, *, default: str) -> None:
    """Puts a service's field-named errors on the form's fields, the rest on `default`."""
    for path, message in errors.items():
        form.add_error(path if path in form.fields else default, f"{path}: {message}")
