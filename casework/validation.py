"""What a valid label and a valid outcome event are: ground truth and what became of a return,
reported from outside the desk, every error naming its field. The API and the imports both
validate here."""

from datetime import timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from casework.choices import (
    CarrierStatus,
    InspectionReason,
    InspectionResult,
    LabelSource,
    OutcomeKind,
)
from core.validation import (
    StrictBooleanField,
    StrictCharField,
    StrictSerializer,
)
from intake.validation import OrderValueField

# Labels come from outside the desk; a reviewer's verdict writes its own through the case.
EXTERNAL_LABEL_SOURCES = [source for source in LabelSource.values if source != LabelSource.REVIEW]
# Clocks disagree a little; a label observed further in the future than this is a mistake.
LABEL_CLOCK_SKEW = timedelta(minutes=5)


def _choice(choices, **kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=choices,
        error_messages={"invalid_choice": f"Must be one of {', '.join(choices)}."},
        **kwargs,
    )


class ObservedAtField(serializers.DateTimeField):
    """When something was observed: with a UTC offset, and not in the future."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            "When it was observed, with a UTC offset; not in the future (a few minutes of "
            "clock difference are allowed).",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        # The parent has parsed the string already; it would silently read a naive one as UTC.
        if isinstance(value, str) and parse_datetime(value).tzinfo is None:
            raise serializers.ValidationError("Include a UTC offset, such as Z or +02:00.")
        if moment > timezone.now() + LABEL_CLOCK_SKEW:
            raise serializers.ValidationError("Cannot be in the future.")
        return moment


class LabelInputSerializer(StrictSerializer):
    order_id = StrictCharField(max_length=64)
    is_fraud = StrictBooleanField()
    source = _choice(EXTERNAL_LABEL_SOURCES)
    observed_at = ObservedAtField(
        help_text="When the truth was observed, with a UTC offset; not in the future (a few "
        "minutes of clock difference are allowed)."
    )


class OutcomeKindSerializer(serializers.Serializer):
    """Reads only the kind, to choose the serializer that validates the rest."""

    kind = _choice(OutcomeKind.values)


class OutcomeInputSerializer(StrictSerializer):
    """The fields every outcome event has; each kind adds its own."""

    event_id = StrictCharField(
        max_length=128,
        help_text="The sender's own id of the event. Sending the same id again answers with the "
        "first result; another body under an id already used is a 409.",
    )
    order_id = StrictCharField(max_length=64)
    observed_at = ObservedAtField()


class CarrierScanInputSerializer(OutcomeInputSerializer):
    """A carrier's scan of the returned parcel."""

    kind = _choice([OutcomeKind.CARRIER_SCAN])
    status = _choice(
        CarrierStatus.values,
        help_text="Recorded and shown on the return's timeline; no carrier status implies fraud "
        "or its absence on its own (a weight mismatch is a reason to inspect, not a verdict).",
    )


class InspectionInputSerializer(OutcomeInputSerializer):
    """The warehouse's inspection of what came back."""

    kind = _choice([OutcomeKind.INSPECTION])
    result = _choice(
        InspectionResult.values,
        help_text="passed implies the return is not fraud; failed with reason empty_box or "
        "wrong_item implies fraud; any other reason implies neither.",
    )
    reason = _choice(
        InspectionReason.values,
        required=False,
        help_text="Required when the result is failed; not given when it passed.",
    )

    def validate(self, data):
        failed = data["result"] == InspectionResult.FAILED
        if failed and "reason" not in data:
            raise serializers.ValidationError({"reason": ["Required when the result is failed."]})
        if not failed and "reason" in data:
            raise serializers.ValidationError({"reason": ["Only a failed inspection has one."]})
        return data


class ChargebackInputSerializer(OutcomeInputSerializer):
    """A chargeback on the order's payment."""

    kind = _choice([OutcomeKind.CHARGEBACK], help_text="A chargeback implies fraud.")
    amount = OrderValueField(required=False)
    reason_code = StrictCharField(max_length=32, required=False)


class CustomerServiceInputSerializer(OutcomeInputSerializer):
    """What customer service learnt about the return."""

    kind = _choice([OutcomeKind.CUSTOMER_SERVICE])
    note = StrictCharField(max_length=2000)
    fraud_confirmed = StrictBooleanField(
        required=False,
        help_text="true implies fraud, false implies not fraud; left out, the note implies "
        "neither.",
    )


OUTCOME_INPUT_SERIALIZERS = {
    OutcomeKind.CARRIER_SCAN: CarrierScanInputSerializer,
    OutcomeKind.INSPECTION: InspectionInputSerializer,
    OutcomeKind.CHARGEBACK: ChargebackInputSerializer,
    OutcomeKind.CUSTOMER_SERVICE: CustomerServiceInputSerializer,
}


def outcome_serializer_for(data) -> serializers.Serializer:
    """The serializer for the event's kind; while the kind is missing or unknown, one that
    names only that."""
    kind = data.get("kind") if isinstance(data, dict) else None
    serializer_class = OUTCOME_INPUT_SERIALIZERS.get(kind) if isinstance(kind, str) else None
    return (serializer_class or OutcomeKindSerializer)(data=data)
