"""Webhooks from the shell: list endpoints and deliveries, resend one delivery or a time
range, rotate an endpoint's secret (the new one is printed once), send what is due now."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from webhooks.choices import DeliveryStatus, EventType
from webhooks.models import WebhookEndpoint
from webhooks.selectors import deliveries_filtered, endpoints_of
from webhooks.services.delivery import deliveries_resend, deliveries_send_due
from webhooks.services.endpoints import endpoint_rotate_secret


def _moment(text: str) -> datetime:
    value = parse_datetime(text)
    if value is None or value.tzinfo is None:
        raise ValueError(text)
    return value


_moment.__name__ = "ISO time with its zone"


class Command(BaseCommand):
    help = "Webhooks: list endpoints and deliveries, resend, rotate a secret, send what is due."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("endpoints", help="every live endpoint")
        listing = sub.add_parser("deliveries", help="the delivery log, newest first")
        self._filters(listing)
        listing.add_argument("--limit", type=int, default=50)
        resend = sub.add_parser("resend", help="one delivery, or every one of a time range")
        resend.add_argument("--delivery", type=int, help="a delivery id")
        self._filters(resend)
        rotate = sub.add_parser("rotate", help="a new secret; the old one signs for a while")
        rotate.add_argument("endpoint", type=int)
        sub.add_parser("send", help="send what is due now, once, without a worker")

    @staticmethod
    def _filters(parser):
        parser.add_argument("--endpoint", type=int)
        parser.add_argument("--event-type", choices=EventType.values)
        parser.add_argument("--status", choices=DeliveryStatus.values)
        parser.add_argument("--since", type=_moment, help="events from, e.g. 2026-12-01T04:00Z")
        parser.add_argument("--until", type=_moment, help="events before")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _endpoints(self, **options):
        for endpoint in endpoints_of(client=None):
            state = "enabled" if endpoint.is_enabled else f"disabled {endpoint.disabled_reason}"
            self.stdout.write(
                f"{endpoint.pk}\t{endpoint.client or 'desk-wide'}\t{endpoint.url}\t"
                f"{','.join(endpoint.event_types)}\t{state}\t"
                f"failures in a row: {endpoint.consecutive_failures}"
            )

    @staticmethod
    def _selected(options):
        return deliveries_filtered(
            endpoint_id=options["endpoint"],
            event_type=options["event_type"],
            status=options["status"],
            since=options["since"],
            until=options["until"],
        )

    def _deliveries(self, *, limit, **options):
        for delivery in self._selected(options)[: max(limit, 0)]:
            self.stdout.write(
                f"{delivery.pk}\t{delivery.event.public_id}\t{delivery.event.event_type}\t"
                f"endpoint {delivery.endpoint_id}\t{delivery.status}\t"
                f"attempts {delivery.attempts}\tlast {delivery.last_status_code or '-'}"
            )

    def _resend(self, *, delivery, **options):
        if delivery is not None:
            selected = deliveries_filtered().filter(pk=delivery)
            if not selected.exists():
                raise CommandError(f"delivery: no delivery {delivery}")
            described = {"delivery": delivery}
        elif options["since"] and options["until"]:
            selected = self._selected(options)
            described = {
                key: value.isoformat() if isinstance(value, datetime) else value
                for key in ("endpoint", "event_type", "status", "since", "until")
                if (value := options[key]) is not None
            }
        else:
            raise CommandError("resend: give --delivery, or --since and --until")
        count = deliveries_resend(deliveries=selected, actor=None, described=described)
        self.stdout.write(f"{count} deliveries will be sent again")

    def _rotate(self, *, endpoint, **options):
        found = WebhookEndpoint.objects.filter(pk=endpoint, deleted_at__isnull=True).first()
        if found is None:
            raise CommandError(f"endpoint: no endpoint {endpoint}")
        found, secret = endpoint_rotate_secret(endpoint=found, actor=None)
        self.stdout.write(
            f"new secret (shown once): {secret}\n"
            f"the old one signs too until {found.previous_secret_expires_at:%Y-%m-%d %H:%M}Z"
        )

    def _send(self, **options):
        done = deliveries_send_due()
        self.stdout.write(
            f"claimed {done.claimed}: {done.succeeded} delivered, {done.failed} failed, "
            f"{done.deferred} deferred"
        )
