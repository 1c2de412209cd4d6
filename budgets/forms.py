"""The admin form for placing a hold on a customer."""

from django import forms

from budgets.models import CustomerHold
from core.selectors import api_clients_retailers
from intake.models import Customer


class CustomerHoldForm(forms.ModelForm):
    """Placing a hold; holds are never edited, only released.

    A customer id is the retailer's own, so the hold names the retailer too: another retailer's
    customer of the same id is someone else and is not held.
    """

    client = forms.ModelChoiceField(
        label="Retailer",
        queryset=api_clients_retailers(),
        help_text="The API client that submits the customer's returns.",
    )
    customer = forms.CharField(label="Customer id", max_length=64)

    class Meta:
        model = CustomerHold
        fields = ["client", "customer", "mode", "reason"]

    def clean(self):
        cleaned = super().clean()
        client, external_id = cleaned.get("client"), cleaned.get("customer")
        if client is None or external_id is None:
            return cleaned
        external_id = external_id.strip()
        customer = Customer.objects.filter(client=client, external_id=external_id).first()
        if customer is None:
            self.add_error("customer", f"{client.name} has no customer {external_id}.")
        elif CustomerHold.objects.filter(customer=customer, released_at__isnull=True).exists():
            self.add_error("customer", f"{external_id} is on hold already; release it first.")
        else:
            cleaned["customer"] = customer
        return cleaned
