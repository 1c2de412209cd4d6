"""Delivering the outbox: claim due deliveries, send them signed, log each attempt, back off.

A delivery is claimed by pushing its next attempt a lease ahead in a short transaction; the
request is made outside any transaction, and its result written after. A worker that dies
mid-send leaves the delivery to be sent again when the lease runs out: at least once.
"""

import http.client
import ipaddress
import json
import random
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from core.services.audit import audit_record
from deskclient.signatures import SIGNATURE_HEADER, signature_header
from webhooks.choices import DeliveryStatus
from webhooks.constants import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_CAP_SECONDS,
    BACKOFF_JITTER,
    CLAIM_LEASE_SECONDS,
    DELIVERY_BATCH_SIZE,
    RESPONSE_EXCERPT_CHARS,
)
from webhooks.models import DeliveryAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.services.events import deliveries_queue_soon


def backoff_seconds(failures: int, *, rng: random.Random = random) -> float:
    """How long to wait after the `failures`-th failure in a row: doubling from 30 s up to
    6 hours, with jitter."""
    exponent = max(failures - 1, 0)
    delay = min(BACKOFF_BASE_SECONDS * 2 ** min(exponent, 30), BACKOFF_CAP_SECONDS)
    return delay * rng.uniform(1 - BACKOFF_JITTER, 1 + BACKOFF_JITTER)


def event_body(event: WebhookEvent) -> bytes:
    """The JSON body a receiver gets; the same bytes on every attempt."""
    payload = {
        "id": event.public_id,
        "type": event.event_type,
        "created": event.created_at.isoformat(),
        "data": event.data,
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect is an answer to log, not a place to follow: it could lead off https.
    def redirect_request(self, *args, **kwargs):
        return None


class AddressRefused(OSError):
    """The endpoint's host resolves to an address inside a network, not the internet."""


def address_is_public(address: str) -> bool:
    """Whether `address` (IPv4 or IPv6, a v4-mapped one read as v4) is on the internet: not
    loopback, private, link-local (cloud metadata), shared, multicast or reserved."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _public_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):
    """socket.create_connection to a host only if every address it resolves to is public; it
    connects to the addresses checked, in turn, so the name cannot resolve elsewhere between."""
    host, port = address
    resolved = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [sockaddr[0] for *_, sockaddr in resolved]
    for ip in addresses:
        if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES and not address_is_public(ip):
            raise AddressRefused(f"{host} resolves to {ip}, which is not a public address")
    for ip in addresses[:-1]:
        try:
            return socket.create_connection((ip, port), timeout, source_address)
        except OSError:
            continue  # the next address, as create_connection does with a name
    return socket.create_connection((addresses[-1], port), timeout, source_address)


class _PublicHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _public_connection


class _PublicHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _public_connection


class _PublicHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_PublicHTTPConnection, req)


class _PublicHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_PublicHTTPSConnection, req, context=self._context)


# A receiver's URL is a client's to choose: the desk posts only to public addresses, so an
# endpoint cannot make it reach its own database, Redis or a cloud's metadata service.
_opener = urllib.request.build_opener(_NoRedirects, _PublicHTTPHandler, _PublicHTTPSHandler)


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    latency_ms: int
    excerpt: str
    error: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _excerpt(raw: bytes, secrets: list[str]) -> str:
    text = raw[: RESPONSE_EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    for secret in secrets:  # a receiver that echoes what it was configured with
        text = text.replace(secret, "[secret]")
    return text[:RESPONSE_EXCERPT_CHARS]


def delivery_send(*, endpoint: WebhookEndpoint, event: WebhookEvent, now: datetime) -> SendResult:
    """One signed POST of the event to the endpoint, within WEBHOOK_TIMEOUT_SECONDS."""
    body = event_body(event)
    secrets = endpoint.signing_secrets(now)
    request = urllib.request.Request(
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "returns-desk-webhooks/1",
            SIGNATURE_HEADER: signature_header(body, secrets, timestamp=int(now.timestamp())),
            "Desk-Event-Id": event.public_id,
            "Desk-Event-Type": event.event_type,
        },
    )
    started = time.monotonic()
    status_code, raw, error = None, b"", ""
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            status_code, raw = response.status, response.read(RESPONSE_EXCERPT_CHARS * 4)
    except urllib.error.HTTPError as answered:
        status_code = answered.code
        try:
            raw = answered.read(RESPONSE_EXCERPT_CHARS * 4)
        except Exception:  # noqa: BLE001 - the status is what matters; the excerpt is a nicety
            raw = b""
    except TimeoutError:
        error = f"no answer within {settings.WEBHOOK_TIMEOUT_SECONDS:g}s"
    except (urllib.error.URLError, OSError, ValueError) as failed:
        reason = getattr(failed, "reason", failed)
        error = f"{type(reason).__name__}: {reason}"[:200]
    latency_ms = int((time.monotonic() - started) * 1000)
    return SendResult(
        status_code, latency_ms, _excerpt(raw, secrets), _excerpt(error.encode(), secrets)
    )


def _due(now: datetime):
    earlier_pending = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        return_request_id=OuterRef("return_request_id"),
        status=DeliveryStatus.PENDING,
        id__lt=OuterRef("id"),
    )
    return (
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            endpoint__is_enabled=True,
            endpoint__deleted_at__isnull=True,
        )
        .filter(Q(endpoint__paused_until__isnull=True) | Q(endpoint__paused_until__lte=now))
        .filter(Q(return_request_id__isnull=True) | ~Exists(earlier_pending))
    )


@transaction.atomic
def deliveries_claim(*, now: datetime, limit: int = DELIVERY_BATCH_SIZE) -> list[int]:
    """Claims up to `limit` due deliveries, oldest first, each the next of its return."""
    ids = list(
        _due(now)
        .order_by("id")
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("id", flat=True)[:limit]
    )
    WebhookDelivery.objects.filter(id__in=ids).update(
        next_attempt_at=now + timedelta(seconds=CLAIM_LEASE_SECONDS)
    )
    return ids


def deliveries_due_count(*, now: datetime | None = None) -> int:
    return _due(now or timezone.now()).count()


@transaction.atomic
def _attempt_record(*, delivery: WebhookDelivery, result: SendResult, now: datetime) -> None:
    DeliveryAttempt.objects.create(
        delivery=delivery,
        attempted_at=now,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        succeeded=result.succeeded,
        response_excerpt=result.excerpt,
        error=result.error,
    )
    delivery.attempts += 1
    delivery.last_status_code = result.status_code
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    if result.succeeded:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
        if endpoint.consecutive_failures or endpoint.paused_until:
            endpoint.consecutive_failures = 0
            endpoint.paused_until = None
            endpoint.save(update_fields=["consecutive_failures", "paused_until"])
    else:
        if now - delivery.created_at >= timedelta(hours=settings.WEBHOOK_RETRY_HOURS):
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
        endpoint.consecutive_failures = F("consecutive_failures") + 1
        endpoint.save(update_fields=["consecutive_failures"])
        endpoint.refresh_from_db(fields=["consecutive_failures"])
        endpoint.paused_until = now + timedelta(
            seconds=backoff_seconds(endpoint.consecutive_failures)
        )
        fields = ["paused_until"]
        limit = settings.WEBHOOK_DISABLE_AFTER_FAILURES
        if endpoint.is_enabled and endpoint.consecutive_failures >= limit:
            endpoint.is_enabled = False
            endpoint.disabled_reason = f"{limit} failed deliveries in a row"
            fields += ["is_enabled", "disabled_reason"]
            audit_record(
                action="webhook.disable",
                obj=endpoint,
                before={"is_enabled": True},
                after={"is_enabled": False, "reason": endpoint.disabled_reason},
            )
        endpoint.save(update_fields=fields)
    delivery.save(
        update_fields=["attempts", "last_status_code", "status", "delivered_at", "next_attempt_at"]
    )


@dataclass
class DeliveryRound:
    claimed: int = 0
    succeeded: int = 0
    failed: int = 0
    deferred: int = 0


def deliveries_send_due(
    *, now: datetime | None = None, limit: int = DELIVERY_BATCH_SIZE
) -> DeliveryRound:
    """One round: claims due deliveries and sends them in order. After an endpoint fails,
    the rest of its claimed deliveries wait for its backoff rather than time out one by one.

    `now` is the clock the schedule reads (the tests advance it rather than wait).
    """
    now = now or timezone.now()
    ids = deliveries_claim(now=now, limit=limit)
    done = DeliveryRound(claimed=len(ids))
    deliveries = (
        WebhookDelivery.objects.filter(id__in=ids)
        .select_related("event", "endpoint")
        .order_by("id")
    )
    failing: set[int] = set()
    for delivery in deliveries:
        if delivery.endpoint_id in failing:
            done.deferred += 1
            WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now)
            continue
        result = delivery_send(endpoint=delivery.endpoint, event=delivery.event, now=now)
        _attempt_record(delivery=delivery, result=result, now=now)
        if result.succeeded:
            done.succeeded += 1
        else:
            done.failed += 1
            failing.add(delivery.endpoint_id)
    return done


@transaction.atomic
def deliveries_resend(*, deliveries, actor, described: dict, now: datetime | None = None) -> int:
    """Sends the given deliveries again (delivered, given up or pending alike), soonest
    first. The event keeps its id, so a receiver that has it already can drop the repeat."""
    now = now or timezone.now()
    ids = list(deliveries.values_list("id", flat=True))
    WebhookDelivery.objects.filter(id__in=ids).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, delivered_at=None
    )
    if ids:
        audit_record(
            actor=actor,
            action="webhook.resend",
            obj=None,
            object_type="webhooks.webhookdelivery",
            after={**described, "deliveries": len(ids)},
        )
        transaction.on_commit(deliveries_queue_soon)
    return len(ids)
