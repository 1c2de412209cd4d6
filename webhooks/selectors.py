"""Reading webhook endpoints and the delivery log."""

from datetime import datetime

from django.db.models import QuerySet

from core.models import ApiClient
from webhooks.models import WebhookDelivery, WebhookEndpoint


class EndpointNotFound(Exception):
    """No such endpoint, or not the caller's."""


def endpoints_of(*, client: ApiClient | None) -> QuerySet[WebhookEndpoint]:
    """A client's live endpoints; None: every live endpoint, desk-wide ones included."""
    endpoints = WebhookEndpoint.objects.filter(deleted_at__isnull=True).select_related("client")
    return endpoints if client is None else endpoints.filter(client=client)


def endpoint_get_for_client(*, client: ApiClient, endpoint_id) -> WebhookEndpoint:
    """The client's own endpoint by id; raises EndpointNotFound for anyone else's."""
    try:
        return endpoints_of(client=client).get(pk=int(endpoint_id))
    except (WebhookEndpoint.DoesNotExist, TypeError, ValueError, OverflowError):
        raise EndpointNotFound(endpoint_id) from None


def deliveries_filtered(
    *,
    endpoint_id: int | None = None,
    event_type: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[WebhookDelivery]:
    """The delivery log, newest first, narrowed by what is given (times are the event's)."""
    deliveries = WebhookDelivery.objects.select_related("event", "endpoint", "endpoint__client")
    if endpoint_id is not None:
        deliveries = deliveries.filter(endpoint_id=endpoint_id)
    if event_type:
        deliveries = deliveries.filter(event__event_type=event_type)
    if status:
        deliveries = deliveries.filter(status=status)
    if since is not None:
        deliveries = deliveries.filter(event__created_at__gte=since)
    if until is not None:
        deliveries = deliveries.filter(event__created_at__lt=until)
    return deliveries.order_by("-id")
