"""The admin form for placing a hold on a customer."""

from django import forms

from budgets.models import CustomerHold
from intake.models import Customer


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
