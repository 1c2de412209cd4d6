"""API view for reporting what became of a return: an inspection, a chargeback, a call."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api.permissions import IsLabeler
from casework.api.schema import error_responses
from casework.selectors import return_get_for_client
from casework.services.labels import label_record
from casework.validation import LabelInputSerializer


class LabelOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_id = serializers.CharField(source="return_request.order_id")
    is_fraud = serializers.BooleanField()
    source = serializers.CharField()
    observed_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


class LabelCreateView(APIView):
    permission_classes = [IsLabeler]
    throttle_scope = "labels"

    @extend_schema(
        request=LabelInputSerializer,
        responses={
            201: LabelOutputSerializer,
            200: LabelOutputSerializer,
            **error_responses(400, 404, 415),
        },
        summary="Report the truth about one of your returns; the newest observation counts",
    )
    def post(self, request):
        serializer = LabelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return_request = return_get_for_client(client=request.user, order_id=data["order_id"])
        recorded = label_record(
            return_request=return_request,
            is_fraud=data["is_fraud"],
            source=data["source"],
            observed_at=data["observed_at"],
            actor=request.user,
        )
        return Response(
            LabelOutputSerializer(recorded.label).data,
            status=status.HTTP_201_CREATED if recorded.created else status.HTTP_200_OK,
        )
