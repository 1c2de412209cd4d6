"""Forms of the webhook pages and admin; the rules themselves are the services'."""

from django import forms
from django.core.exceptions import ValidationError

from webhooks.choices import DeliveryStatus, EventType
from webhooks.models import WebhookEndpoint
from webhooks.services.endpoints import endpoint_event_types_clean, endpoint_url_clean


class EndpointAdminForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="model.activated goes to desk-wide endpoints (no client) only.",
    )
    url = forms.CharField(max_length=500, help_text="https outside a developer's machine.")

    class Meta:
        model = WebhookEndpoint
        fields = ["client", "url", "description", "event_types", "is_enabled"]

    def clean(self):
        cleaned = super().clean()
        checks = (
            ("url", lambda: endpoint_url_clean(cleaned.get("url"))),
            (
                "event_types",
                lambda: endpoint_event_types_clean(
                    cleaned.get("event_types"), desk_wide=cleaned.get("client") is None
                ),
            ),
        )
        for field, check in checks:
            if field in self.errors:
                continue
            try:
                cleaned[field] = check()
            except ValidationError as exc:
                for message in exc.message_dict.get(field, exc.messages):
                    self.add_error(field, message)
        return cleaned


class DeliveryFilterForm(forms.Form):
    endpoint = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    event_type = forms.ChoiceField(choices=[("", "any event"), *EventType.choices], required=False)
    status = forms.ChoiceField(
        choices=[("", "any status"), *DeliveryStatus.choices], required=False
    )
    since = forms.DateTimeField(required=False, help_text="Events from (inclusive)")
    until = forms.DateTimeField(required=False, help_text="Events until (exclusive)")

    def filters(self) -> dict:
        """The valid filters, by the selector's names; none when the form is invalid."""
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "endpoint_id": data["endpoint"],
            "event_type": data["event_type"] or None,
            "status": data["status"] or None,
            "since": data["since"],
            "until": data["until"],
        }
