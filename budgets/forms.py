"""Admin forms for budgets and holds, with the messages a person tuning them needs."""

from decimal import Decimal

from django import forms

from budgets.choices import BudgetScope
from budgets.constants import ANY_PAYMENT_METHOD
from budgets.models import BudgetPolicy, CustomerHold
from casework.models import Customer
from scoring.forms import PreviewForm
from scoring.services.tuning import BUDGET_FIELDS

KEY_MEANING = {
    BudgetScope.PAYMENT_METHOD: "the payment method",
    BudgetScope.PRODUCT_CATEGORY: "the product category",
    BudgetScope.CUSTOMER: "the customer's id",
    BudgetScope.PORTFOLIO: f"a payment method, or {ANY_PAYMENT_METHOD} for every one",
}


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

    def budget_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in BUDGET_FIELDS}


class CustomerHoldForm(forms.ModelForm):
    """Placing a hold; holds are never edited, only released."""

    customer = forms.CharField(label="Customer id", max_length=64)

    class Meta:
        model = CustomerHold
        fields = ["customer", "mode", "reason"]

    def clean_customer(self):
        external_id = self.cleaned_data["customer"].strip()
        customer = Customer.objects.filter(external_id=external_id).first()
        if customer is None:
            raise forms.ValidationError(f"There is no customer {external_id}.")
        if CustomerHold.objects.filter(customer=customer, released_at__isnull=True).exists():
            raise forms.ValidationError(f"{external_id} is on hold already; release it first.")
        return customer
