"""What a valid label is: ground truth reported from outside the desk, every error naming its
field. The labels API and the label imports both validate here."""

from datetime import timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from casework.choices import LabelSource
from core.validation import StrictBooleanField, StrictCharField, StrictSerializer

# Labels come from outside the desk; a reviewer's verdict writes its own through the case.
EXTERNAL_LABEL_SOURCES = [source for source in LabelSource.values if source != LabelSource.REVIEW]
# Clocks disagree a little; a label observed further in the future than this is a mistake.
LABEL_CLOCK_SKEW = timedelta(minutes=5)


class LabelInputSerializer(StrictSerializer):
    order_id = StrictCharField(max_length=64)
    is_fraud = StrictBooleanField()
    source = serializers.ChoiceField(
        choices=EXTERNAL_LABEL_SOURCES,
        error_messages={"invalid_choice": f"Must be one of {', '.join(EXTERNAL_LABEL_SOURCES)}."},
    )
    observed_at = serializers.DateTimeField(
        help_text="When the truth was observed, with a UTC offset; not in the future (a few "
        "minutes of clock difference are allowed)."
    )

    def validate_observed_at(self, value):
        # The field has parsed the string already; it would silently read a naive one as UTC.
        if parse_datetime(self.initial_data["observed_at"]).tzinfo is None:
            raise serializers.ValidationError("Include a UTC offset, such as Z or +02:00.")
        if value > timezone.now() + LABEL_CLOCK_SKEW:
            raise serializers.ValidationError("Cannot be in the future.")
        return value
