"""Input validation for the API; every error names its field."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    StrictFloatField,
    StrictIntegerField,
)
from casework.choices import CaseStatus, LabelSource, Outcome, ReturnStatus
from casework.selectors import feed_cursor_encode
from scoring.choices import Action

# Clients' clocks drift; a few minutes ahead of ours is still "now".
SUBMITTED_AT_CLOCK_SKEW = timedelta(minutes=5)


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, naming each one."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ["Expected a JSON object."]}, code="invalid"
            )
        unknown = sorted(set(data) - set(self.fields))
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown:
                exc.detail.update({name: ["Unknown field."] for name in unknown})
            raise
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return value


# Ids become path segments (/api/v1/returns/<order_id>, /customers/<customer_id>/).
RESERVED_ORDER_IDS = {"batch"}


def _usable_in_a_path(value: str) -> str:
    if "/" in value:
        raise serializers.ValidationError("Must not contain '/': the id is part of a URL.")
    return value


def _not_reserved(value: str) -> str:
    if value in RESERVED_ORDER_IDS:
        raise serializers.ValidationError(f"'{value}' is reserved: it names an API route.")
    return value


class ReturnInputSerializer(StrictSerializer):
    order_id = StrictCharField(max_length=64, validators=[_usable_in_a_path, _not_reserved])
    customer_id = StrictCharField(max_length=64, validators=[_usable_in_a_path])
    order_value = StrictDecimalField(
        max_digits=9, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("1000000")
    )
    product_category = StrictCharField(max_length=64)
    payment_method = StrictCharField(max_length=64)
    days_since_purchase = StrictIntegerField(min_value=0, max_value=3650)
    return_ratio = StrictFloatField(min_value=0, max_value=1, required=False)
    returns_velocity_30d = StrictIntegerField(min_value=0, max_value=100_000, required=False)
    currency = serializers.RegexField(
        r"^[A-Z]{3}$",
        required=False,
        error_messages={"invalid": "Must be a three-letter ISO 4217 code such as USD."},
    )
    submitted_at = serializers.DateTimeField(required=False)

    def validate_currency(self, value):
        # Costs, budgets and the ledger are in one currency; an amount in another would be
        # booked at face value, so it is refused rather than converted at a rate we do not have.
        if value != settings.DESK_CURRENCY:
            raise serializers.ValidationError(
                f"This desk prices returns in {settings.DESK_CURRENCY}; "
                "convert the order value before submitting."
            )
        return value

    def validate_submitted_at(self, value):
        # A future time would keep its ledger booking inside every later budget window.
        if value > timezone.now() + SUBMITTED_AT_CLOCK_SKEW:
            raise serializers.ValidationError("Must not be in the future.")
        return value


class ReturnBatchInputSerializer(StrictSerializer):
    returns = serializers.ListField(
        child=serializers.JSONField(), allow_empty=False, max_length=1000
    )


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine name, e.g. expected_cost, ood_anomaly.")
    text = serializers.CharField(help_text="The same reason in words, with its figures.")


class ActionCostsSerializer(serializers.Serializer):
    approve = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    reject = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    review = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)


class BudgetStateSerializer(serializers.Serializer):
    booked_loss = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    remaining = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)


class DecisionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=Action.choices)
    fraud_probability = serializers.FloatField()
    ood_score = serializers.FloatField()
    ood = serializers.BooleanField()
    expected_cost = serializers.SerializerMethodField()
    reasons = ReasonSerializer(many=True, help_text="Why, the deciding reason first.")
    budget = serializers.SerializerMethodField()
    model_version = serializers.CharField(source="model_version.version")
    policy_version = serializers.IntegerField(source="policy_version_id")
    decided_at = serializers.DateTimeField()

    @extend_schema_field(ActionCostsSerializer)
    def get_expected_cost(self, decision) -> dict:
        return {
            "approve": str(decision.cost_approve),
            "reject": str(decision.cost_reject),
            "review": str(decision.cost_review),
        }

    @extend_schema_field(BudgetStateSerializer)
    def get_budget(self, decision) -> dict:
        return {
            "booked_loss": str(decision.booked_loss),
            "budget": str(decision.budget),
            "remaining": str(decision.remaining_budget),
        }


class ReturnCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    joined = serializers.BooleanField(
        help_text="The return joined the open case of its customer: the case's one review, "
        "of an earlier return, decides it too."
    )


class ReturnOutputSerializer(serializers.Serializer):
    order_id = serializers.CharField()
    customer_id = serializers.CharField(source="customer.external_id")
    status = serializers.ChoiceField(choices=ReturnStatus.choices)
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_null=True)
    decision = serializers.SerializerMethodField()
    case = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(ReturnCaseSerializer(allow_null=True))
    def get_case(self, return_request) -> dict | None:
        """The review case deciding the return: its own, or the open case of the same customer
        it joined (one review then covers several returns)."""
        if return_request.joined_case is not None:
            case, joined = return_request.joined_case, True
        else:
            case, joined = getattr(return_request, "review_case", None), False
        if case is None:
            return None
        return ReturnCaseSerializer({"id": case.pk, "status": case.status, "joined": joined}).data

    @extend_schema_field(DecisionSerializer(allow_null=True))
    def get_decision(self, return_request) -> dict | None:
        decision = getattr(return_request, "decision", None)
        return DecisionSerializer(decision).data if decision is not None else None

    def get_url(self, return_request) -> str:
        request = self.context.get("request")
        path = return_request.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class DecisionFeedEventSerializer(serializers.Serializer):
    """A feed event: what happened and when, with the return as it stands now."""

    event = serializers.CharField(source="kind")
    at = serializers.DateTimeField(source="created_at")
    cursor = serializers.SerializerMethodField()

    def get_fields(self):
        fields = super().get_fields()
        # "return" is a Python keyword, so the field is added here rather than declared.
        fields["return"] = ReturnOutputSerializer(source="return_request")
        return fields

    def get_cursor(self, event) -> str:
        return feed_cursor_encode(event.xact_id, event.pk)


def return_payloads_validate(payloads: list) -> list[tuple[dict | None, dict]]:
    """Validates each item of a batch: (validated data, {}) or (None, errors by field).

    The errors carry the item's order id under `_order_id` when it was a string, so results
    can name the item even when it is invalid.
    """
    items = []
    for raw in payloads:
        serializer = ReturnInputSerializer(data=raw)
        if serializer.is_valid():
            items.append((serializer.validated_data, {}))
            continue
        order_id = raw.get("order_id") if isinstance(raw, dict) else None
        items.append(
            (
                None,
                {**serializer.errors, "_order_id": order_id if isinstance(order_id, str) else None},
            )
        )
    return items


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
    observed_at = serializers.DateTimeField()

    def validate_observed_at(self, value):
        # The field has parsed the string already; it would silently read a naive one as UTC.
        if parse_datetime(self.initial_data["observed_at"]).tzinfo is None:
            raise serializers.ValidationError("Include a UTC offset, such as Z or +02:00.")
        if value > timezone.now() + LABEL_CLOCK_SKEW:
            raise serializers.ValidationError("Cannot be in the future.")
        return value
