"""Serializers of the API's bodies; every input error names its field."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.choices import CaseStatus
from casework.selectors import feed_cursor_encode
from core.validation import StrictSerializer
from intake.choices import Outcome, ReturnStatus
from scoring.choices import Action


class ReturnBatchInputSerializer(StrictSerializer):
    returns = serializers.ListField(
        child=serializers.JSONField(allow_null=True),
        min_length=1,
        max_length=1000,
        help_text="Each item is validated as a return of its own and answered in `results`; "
        "an invalid item does not refuse the batch.",
    )


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine name, e.g. expected_cost, ood_anomaly.")
    text = serializers.CharField(help_text="The same reason in words, with its figures.")
    rule = serializers.CharField(
        required=False, help_text="For code rule: the name of the fraud team's rule that acted."
    )


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
        if (membership := getattr(return_request, "joined", None)) is not None:
            case, joined = membership.case, True
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
        return feed_cursor_encode(event)
