"""Reviewer API: the same case services as the pages, for integrations and reviewer API keys."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api.params import IntQuery
from casework.api.permissions import IsReviewer
from casework.api.schema import error_responses
from casework.choices import CaseStatus, VerdictChoice
from casework.forms import HOLD_NEEDS_FRAUD
from casework.selectors import case_get, cases_in_priority_order
from casework.services.review import CaseConflict, case_claim, case_resolve
from core.keyset import InvalidCursor
from core.validation import StrictBooleanField, StrictCharField, StrictSerializer


class CaseOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_id = serializers.CharField(source="return_request.order_id")
    customer_id = serializers.CharField(source="return_request.customer.external_id")
    order_value = serializers.DecimalField(
        source="return_request.order_value", max_digits=12, decimal_places=2
    )
    status = serializers.CharField()
    reasons = serializers.JSONField(source="decision.reasons")
    priority = serializers.DecimalField(max_digits=14, decimal_places=2)
    claimed_by = serializers.SerializerMethodField()
    claim_expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_claimed_by(self, case) -> str | None:
        # A lapsed claim is anyone's to take, even before the sweeper reopens the case.
        if not case.claim_is_live():
            return None
        if case.assignee_id:
            return case.assignee.get_username()
        return f"api:{case.assignee_client.name}"


class VerdictInputSerializer(StrictSerializer):
    verdict = serializers.ChoiceField(choices=VerdictChoice.values)
    hold_customer = StrictBooleanField(
        required=False, default=False, help_text="Only with a fraud verdict."
    )
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=5000)

    def validate(self, data):
        if data.get("hold_customer") and data.get("verdict") == VerdictChoice.LEGITIMATE:
            raise serializers.ValidationError({"hold_customer": [HOLD_NEEDS_FRAUD]})
        return data


def _conflict(exc: CaseConflict) -> Response:
    return Response({"detail": str(exc), "errors": {}}, status=status.HTTP_409_CONFLICT)


class CaseListView(APIView):
    permission_classes = [IsReviewer]
    throttle_scope = "read"
    limit = IntQuery("limit", default=50, low=1, high=500, description="Page size")

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=CaseStatus.values),
            limit.parameter(),
            OpenApiParameter("after", str, description="Cursor from a previous page's `next`"),
        ],
        responses={
            200: inline_serializer(
                "CasePage",
                {
                    "results": CaseOutputSerializer(many=True),
                    "next": serializers.CharField(
                        allow_null=True, help_text="Pass as `after` for the next page; null: last."
                    ),
                },
            ),
            **error_responses(400),
        },
        summary="Review cases in priority order",
    )
    def get(self, request):
        case_status = request.query_params.get("status")
        if case_status is not None and case_status not in CaseStatus.values:
            raise ValidationError({"status": [f"Must be one of {', '.join(CaseStatus.values)}."]})
        limit = self.limit.read(request)
        try:
            page, next_cursor = cases_in_priority_order(
                status=case_status, cursor=request.query_params.get("after"), limit=limit
            )
        except InvalidCursor as exc:
            raise ValidationError({"after": [str(exc)]}) from exc
        return Response(
            {"results": CaseOutputSerializer(page, many=True).data, "next": next_cursor}
        )


class CaseClaimView(APIView):
    permission_classes = [IsReviewer]
    throttle_scope = "verdicts"

    @extend_schema(
        request=None,
        responses={200: CaseOutputSerializer, **error_responses(404, 409)},
        summary="Claim a case for 15 minutes",
    )
    def post(self, request, case_id):
        case_get(case_id=case_id)
        try:
            case_claim(case_id=case_id, actor=request.user)
        except CaseConflict as exc:
            return _conflict(exc)
        return Response(CaseOutputSerializer(case_get(case_id=case_id)).data)


class CaseVerdictView(APIView):
    permission_classes = [IsReviewer]
    throttle_scope = "verdicts"

    @extend_schema(
        request=VerdictInputSerializer,
        responses={200: CaseOutputSerializer, **error_responses(400, 404, 409, 415)},
        summary="Resolve a case you hold: fraud or legitimate, optionally holding the customer",
    )
    def post(self, request, case_id):
        case_get(case_id=case_id)
        serializer = VerdictInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            case_resolve(case_id=case_id, actor=request.user, **serializer.validated_data)
        except CaseConflict as exc:
            return _conflict(exc)
        return Response(CaseOutputSerializer(case_get(case_id=case_id)).data)
