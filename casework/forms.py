"""Forms of the reviewer workspace: queue filters, verdicts, reassigning, holds."""

from django import forms

from budgets.choices import HoldMode
from casework.choices import VerdictChoice
from casework.selectors import QUEUE_REASONS, QueueFilters

ASSIGNEE_CHOICES = [("", "Anyone"), ("mine", "Mine"), ("unassigned", "Unassigned")]


class QueueFilterForm(forms.Form):
    reason = forms.ChoiceField(
        required=False,
        choices=[("", "All reasons")] + [(key, label) for key, (label, _) in QUEUE_REASONS.items()],
    )
    category = forms.CharField(required=False, max_length=64)
    payment = forms.CharField(required=False, max_length=64)
    value_min = forms.DecimalField(
        required=False, min_value=0, max_digits=12, decimal_places=2, label="Min $"
    )
    value_max = forms.DecimalField(
        required=False, min_value=0, max_digits=12, decimal_places=2, label="Max $"
    )
    assignee = forms.ChoiceField(required=False, choices=ASSIGNEE_CHOICES)
    q = forms.CharField(required=False, max_length=64, label="Order or customer id")

    def filters(self) -> QueueFilters:
        """The valid part of the filters; an invalid field is ignored (and shown as an error)."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if value not in ("",)}
        if "q" in data:
            data["q"] = data["q"].strip()
        return QueueFilters(**data)


HOLD_NEEDS_FRAUD = "A hold goes with a fraud verdict; untick it or choose fraud."


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(choices=VerdictChoice.choices)
    hold_customer = forms.BooleanField(required=False)
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    together = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        label="Also resolve these open cases of the customer with the same verdict",
    )

    def __init__(self, *args, other_cases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["together"].choices = [(case.pk, str(case.pk)) for case in other_cases]

    def clean(self):
        data = super().clean()
        if data.get("hold_customer") and data.get("verdict") == VerdictChoice.LEGITIMATE:
            self.add_error("hold_customer", HOLD_NEEDS_FRAUD)
        return data


class ReassignForm(forms.Form):
    to_user = forms.ModelChoiceField(queryset=None, label="Reassign to", empty_label=None)

    def __init__(self, *args, reviewers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = reviewers


class HoldForm(forms.Form):
    mode = forms.ChoiceField(choices=HoldMode.choices, initial=HoldMode.REJECT)
    reason = forms.CharField(max_length=255)
