"""API views for outcome events: a carrier's scan, a warehouse's inspection, a chargeback, a call
to customer service. They settle the ledger like labels, so they take the same labeler key."""

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api.permissions import IsLabeler
from casework.api.schema import OneOfBodySchema, error_responses
from casework.choices import OutcomeKind
from casework.constants import OUTCOME_BATCH_MAX
from casework.services.outcomes import (
    OutcomeEventConflict,
    UnknownOrder,
    outcome_items_record,
    outcome_record,
)
from casework.validation import OUTCOME_INPUT_SERIALIZERS, outcome_serializer_for
from core.validation import StrictSerializer

OUTCOME_INPUT = PolymorphicProxySerializer(
    component_name="OutcomeEventInput",
    serializers={str(kind): cls for kind, cls in OUTCOME_INPUT_SERIALIZERS.items()},
    resource_type_field_name="kind",
)


class OutcomeEventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.CharField()
    order_id = serializers.CharField(source="return_request.order_id")
    kind = serializers.ChoiceField(OutcomeKind.values)
    details = serializers.DictField(
        help_text="The kind's own fields as sent: status; result and reason; amount and "
        "reason_code; note and fraud_confirmed."
    )
    observed_at = serializers.DateTimeField()
    implies_fraud = serializers.BooleanField(
        allow_null=True, help_text="What the event implies: true fraud, false not, null neither."
    )
    label_id = serializers.SerializerMethodField(
        help_text="The label the event became, when it implies fraud or not."
    )
    created_at = serializers.DateTimeField()

    def get_label_id(self, event) -> int | None:
        label = getattr(event, "label", None)
        return label.pk if label is not None else None


class OutcomeBatchInputSerializer(StrictSerializer):
    events = serializers.ListField(
        child=serializers.JSONField(allow_null=True),
        min_length=1,
        max_length=OUTCOME_BATCH_MAX,
        help_text="Each item is validated and recorded as an event of its own (see "
        "OutcomeEventInput) and answered in `results`; an invalid item does not refuse the batch.",
    )


class OutcomeCreateView(APIView):
    permission_classes = [IsLabeler]
    throttle_scope = "labels"
    schema = OneOfBodySchema()

    @extend_schema(
        request=OUTCOME_INPUT,
        responses={
            201: OutcomeEventOutputSerializer,
            200: OutcomeEventOutputSerializer,
            **error_responses(400, 404, 409, 415),
        },
        summary="Report what became of one of your returns; the same event id again answers "
        "with the first result",
    )
    def post(self, request):
        serializer = outcome_serializer_for(request.data)
        serializer.is_valid(raise_exception=True)
        try:
            recorded = outcome_record(client=request.user, data=serializer.validated_data)
        except UnknownOrder as exc:
            raise NotFound() from exc
        except OutcomeEventConflict as conflict:
            return Response(
                {
                    "detail": str(conflict),
                    "errors": {"event_id": ["Already sent with a different body."]},
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            OutcomeEventOutputSerializer(recorded.event).data,
            status=status.HTTP_201_CREATED if recorded.created else status.HTTP_200_OK,
        )


class OutcomeBatchCreateView(APIView):
    permission_classes = [IsLabeler]
    throttle_scope = "labels"

    @extend_schema(
        request=OutcomeBatchInputSerializer,
        responses={
            200: inline_serializer(
                "OutcomeBatchResult",
                {
                    "results": serializers.ListField(
                        child=inline_serializer(
                            "OutcomeBatchItemResult",
                            {
                                "event_id": serializers.CharField(allow_null=True),
                                "order_id": serializers.CharField(allow_null=True),
                                "status": serializers.ChoiceField(
                                    [
                                        "recorded",
                                        "duplicate",
                                        "conflict",
                                        "unknown_order",
                                        "invalid",
                                    ]
                                ),
                                "errors": serializers.DictField(),
                            },
                        )
                    )
                },
            ),
            **error_responses(400, 415),
        },
        summary=f"Report up to {OUTCOME_BATCH_MAX:,} outcome events; each is recorded or refused "
        "on its own",
    )
    def post(self, request):
        envelope = OutcomeBatchInputSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        results = outcome_items_record(
            client=request.user, items=enumerate(envelope.validated_data["events"])
        )
        body = [
            {
                "event_id": result.event_id,
                "order_id": result.order_id,
                "status": result.status,
                "errors": result.errors,
            }
            for result in results
        ]
        return Response({"results": body}, status=status.HTTP_200_OK)
