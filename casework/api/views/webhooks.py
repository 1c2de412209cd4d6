"""API views for a retailer's webhook endpoints, with its submitter key: list, add, read,
change, remove, and rotate the secret. A client sees and changes only its own endpoints."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api.permissions import IsSubmitter
from casework.api.schema import error_responses
from core.validation import (
    StrictBooleanField,
    StrictCharField,
    StrictSerializer,
)
from webhooks.choices import EventType
from webhooks.constants import DESK_WIDE_EVENTS
from webhooks.selectors import EndpointNotFound, endpoint_get_for_client, endpoints_of
from webhooks.services.endpoints import (
    endpoint_create,
    endpoint_delete,
    endpoint_rotate_secret,
    endpoint_update,
    endpoint_url_pattern,
)

CLIENT_EVENTS = [
    (value, label) for value, label in EventType.choices if value not in DESK_WIDE_EVENTS
]


class EndpointUrlField(StrictCharField):
    """Its pattern is read when the schema is made, so it follows WEBHOOK_REQUIRE_HTTPS."""

    @property
    def pattern(self):
        return endpoint_url_pattern()

    @pattern.setter
    def pattern(self, value):
        pass


URL_HELP = "Where events are POSTed: a host name or IPv4 address, https outside development."


class EndpointInputSerializer(StrictSerializer):
    url = EndpointUrlField(max_length=500, trim_whitespace=False, help_text=URL_HELP)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=CLIENT_EVENTS), min_length=1, max_length=20
    )
    description = StrictCharField(max_length=200, allow_blank=True, required=False)
    is_enabled = StrictBooleanField(required=False)


class EndpointChangeSerializer(EndpointInputSerializer):
    url = EndpointUrlField(
        max_length=500, trim_whitespace=False, required=False, help_text=URL_HELP
    )
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=CLIENT_EVENTS),
        min_length=1,
        max_length=20,
        required=False,
    )


class EndpointOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    description = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    is_enabled = serializers.BooleanField()
    consecutive_failures = serializers.IntegerField(
        help_text="Failed attempts in a row; the endpoint is disabled at the desk's threshold."
    )
    disabled_reason = serializers.CharField(help_text="Why the desk disabled it, if it did.")
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="Until then the previous secret signs too (a second v1)."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class EndpointWithSecretSerializer(EndpointOutputSerializer):
    secret = serializers.CharField(help_text="Shown only in this answer: keep it now.")


def _own_endpoint(request, endpoint_id):
    try:
        return endpoint_get_for_client(client=request.user, endpoint_id=endpoint_id)
    except EndpointNotFound:
        raise NotFound("No such webhook endpoint.") from None


def _with_secret(endpoint, secret) -> dict:
    return {**EndpointOutputSerializer(endpoint).data, "secret": secret}


class WebhookListView(APIView):
    permission_classes = [IsSubmitter]
    throttle_scope = "read"

    @extend_schema(
        responses={200: EndpointOutputSerializer(many=True), **error_responses()},
        summary="Your webhook endpoints",
    )
    def get(self, request):
        endpoints = endpoints_of(client=request.user)
        return Response(EndpointOutputSerializer(endpoints, many=True).data)

    @extend_schema(
        request=EndpointInputSerializer,
        responses={201: EndpointWithSecretSerializer, **error_responses(400, 415)},
        summary="Add a webhook endpoint; the answer shows its secret, once",
    )
    def post(self, request):
        serializer = EndpointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = endpoint_create(
            client=request.user, actor=request.user, **serializer.validated_data
        )
        return Response(_with_secret(endpoint, secret), status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    permission_classes = [IsSubmitter]
    throttle_scope = "read"

    @extend_schema(
        responses={200: EndpointOutputSerializer, **error_responses(404)},
        summary="One of your webhook endpoints",
    )
    def get(self, request, endpoint_id):
        return Response(EndpointOutputSerializer(_own_endpoint(request, endpoint_id)).data)

    @extend_schema(
        request=EndpointChangeSerializer,
        responses={200: EndpointOutputSerializer, **error_responses(400, 404, 415)},
        summary="Change a webhook endpoint; enabling it again sends what waited for it",
    )
    def patch(self, request, endpoint_id):
        endpoint = _own_endpoint(request, endpoint_id)
        serializer = EndpointChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = endpoint_update(
            endpoint=endpoint, actor=request.user, **serializer.validated_data
        )
        return Response(EndpointOutputSerializer(endpoint).data)

    @extend_schema(
        responses={204: None, **error_responses(404)},
        summary="Remove a webhook endpoint; nothing more is sent to it",
    )
    def delete(self, request, endpoint_id):
        endpoint_delete(endpoint=_own_endpoint(request, endpoint_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateView(APIView):
    permission_classes = [IsSubmitter]
    throttle_scope = "read"

    @extend_schema(
        request=None,
        responses={200: EndpointWithSecretSerializer, **error_responses(404)},
        summary="A new secret for the endpoint; the old one signs too for the overlap window",
    )
    def post(self, request, endpoint_id):
        endpoint, secret = endpoint_rotate_secret(
            endpoint=_own_endpoint(request, endpoint_id), actor=request.user
        )
        return Response(_with_secret(endpoint, secret))
