"""Making, changing, rotating and removing webhook endpoints; every change is audited."""

import re
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.models import ApiClient
from core.services.audit import audit_record
from webhooks.choices import EventType
from webhooks.constants import DESK_WIDE_EVENTS, SECRET_PREFIX
from webhooks.models import WebhookEndpoint


def _secret_new() -> str:
    return f"{SECRET_PREFIX}{secrets.token_urlsafe(32)}"


# What an endpoint URL may be, in one grammar the API schema states too: a scheme, a host name
# or IPv4 address, an optional port, then printable ASCII (other characters are %-encoded).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_URL = rf"://{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?(?:[/?#][!-~]*)?"


def endpoint_url_pattern() -> str:
    """The URL pattern under the current settings (https only where they require it)."""
    scheme = "https" if settings.WEBHOOK_REQUIRE_HTTPS else "https?"
    return rf"^{scheme}{_URL}$"


def endpoint_url_clean(url) -> str:
    """The URL, checked: http(s) with a host, and https where the settings require it."""
    if not isinstance(url, str) or not url:
        raise ValidationError({"url": ["A URL is required."]})
    if len(url) > WebhookEndpoint._meta.get_field("url").max_length:
        raise ValidationError({"url": ["At most 500 characters."]})
    if not re.fullmatch(rf"https?{_URL}", url):
        raise ValidationError({"url": ["An http or https URL with a host name or address."]})
    if settings.WEBHOOK_REQUIRE_HTTPS and urlsplit(url).scheme != "https":
        raise ValidationError({"url": ["The URL must use https."]})
    return url


def endpoint_event_types_clean(event_types, *, desk_wide: bool) -> list[str]:
    """The event types, checked, deduplicated and sorted."""
    if not isinstance(event_types, list | tuple) or not event_types:
        raise ValidationError({"event_types": ["A non-empty list of event types."]})
    unknown = [t for t in event_types if not isinstance(t, str) or t not in EventType.values]
    if unknown:
        raise ValidationError(
            {"event_types": [f"Unknown event type; one of: {', '.join(EventType.values)}."]}
        )
    if not desk_wide and DESK_WIDE_EVENTS & set(event_types):
        raise ValidationError(
            {"event_types": ["model.activated is sent to desk-wide endpoints only."]}
        )
    return sorted(set(event_types))


def _description_clean(description) -> str:
    if not isinstance(description, str) or "\x00" in description:
        raise ValidationError({"description": ["Text without NUL characters."]})
    try:
        description.encode()
    except UnicodeEncodeError:
        raise ValidationError({"description": ["Text without lone surrogates."]}) from None
    if len(description) > WebhookEndpoint._meta.get_field("description").max_length:
        raise ValidationError({"description": ["At most 200 characters."]})
    return description


def _audited_view(endpoint: WebhookEndpoint) -> dict:
    # Never the secret: the audit trail is read by more people than the endpoint's owner.
    return {
        "url": endpoint.url,
        "event_types": list(endpoint.event_types),
        "is_enabled": endpoint.is_enabled,
        "description": endpoint.description,
    }


@transaction.atomic
def endpoint_create(
    *,
    client: ApiClient | None,
    url: str,
    event_types: list[str],
    actor,
    description: str = "",
    is_enabled: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """Makes an endpoint; returns it and its secret, which is never shown again."""
    endpoint = WebhookEndpoint(
        client=client,
        url=endpoint_url_clean(url),
        event_types=endpoint_event_types_clean(event_types, desk_wide=client is None),
        description=_description_clean(description),
        is_enabled=bool(is_enabled),
        secret=_secret_new(),
    )
    endpoint.save()
    audit_record(actor=actor, action="webhook.create", obj=endpoint, after=_audited_view(endpoint))
    return endpoint, endpoint.secret


@transaction.atomic
def endpoint_update(*, endpoint: WebhookEndpoint, actor, **changes) -> WebhookEndpoint:
    """Changes an endpoint's url, event_types, description or is_enabled. Enabling it again
    forgets its failures, so what waited for it is sent at once."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = _audited_view(endpoint)
    fields = []
    if "url" in changes:
        endpoint.url = endpoint_url_clean(changes["url"])
        fields.append("url")
    if "event_types" in changes:
        endpoint.event_types = endpoint_event_types_clean(
            changes["event_types"], desk_wide=endpoint.client_id is None
        )
        fields.append("event_types")
    if "description" in changes:
        endpoint.description = _description_clean(changes["description"])
        fields.append("description")
    if "is_enabled" in changes:
        enabling = bool(changes["is_enabled"]) and not endpoint.is_enabled
        endpoint.is_enabled = bool(changes["is_enabled"])
        fields.append("is_enabled")
        if enabling:
            endpoint.consecutive_failures = 0
            endpoint.paused_until = None
            endpoint.disabled_reason = ""
            fields += ["consecutive_failures", "paused_until", "disabled_reason"]
    if fields:
        endpoint.save(update_fields=[*fields, "updated_at"])
        audit_record(
            actor=actor,
            action="webhook.update",
            obj=endpoint,
            before=before,
            after=_audited_view(endpoint),
        )
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint, actor) -> None:
    """Removes an endpoint: nothing more is sent to it; its delivery log stays."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.deleted_at = timezone.now()
    endpoint.is_enabled = False
    endpoint.save(update_fields=["deleted_at", "is_enabled", "updated_at"])
    audit_record(actor=actor, action="webhook.delete", obj=endpoint, before=_audited_view(endpoint))


@transaction.atomic
def endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, actor, now=None
) -> tuple[WebhookEndpoint, str]:
    """Gives the endpoint a new secret; the old one goes on signing (a second v1) for
    WEBHOOK_SECRET_OVERLAP_HOURS, so the receiver can switch without losing a delivery."""
    now = now or timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + timedelta(
        hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS
    )
    endpoint.secret = _secret_new()
    endpoint.save(
        update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
    )
    audit_record(
        actor=actor,
        action="webhook.rotate_secret",
        obj=endpoint,
        after={"previous_secret_expires_at": endpoint.previous_secret_expires_at.isoformat()},
    )
    return endpoint, endpoint.secret
