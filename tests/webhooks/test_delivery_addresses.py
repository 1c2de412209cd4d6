"""Deliveries go only to public addresses: an endpoint's URL is a client's to choose, and must
not make the desk post into its own network (its database, Redis, a cloud's metadata service)."""

import socket

import pytest
from django.utils import timezone

from tests.factories import WebhookEndpointFactory, WebhookEventFactory
from webhooks.services.delivery import address_is_public, delivery_send

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.5", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.5", False),
    ],
)
def test_only_internet_addresses_are_public(address, public):
    assert address_is_public(address) is public


def send(url):
    endpoint = WebhookEndpointFactory(url=url)
    return delivery_send(endpoint=endpoint, event=WebhookEventFactory(), now=timezone.now())


def test_a_receiver_on_a_private_address_is_refused_before_anything_is_sent(receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

    result = send(receiver.url)

    assert not result.succeeded
    assert result.status_code is None
    assert "127.0.0.1, which is not a public address" in result.error
    assert receiver.requests == []


def test_a_host_name_is_judged_by_the_address_it_resolves_to(receiver, settings, monkeypatch):
    """The name is resolved once and that address is the one connected to, so a name cannot
    pass the check and then resolve into the network (DNS stands in for the retailer's)."""
    port = receiver.server.server_address[1]
    resolve = socket.getaddrinfo

    def shop_dns(host, *args, **kwargs):
        return resolve("127.0.0.1" if host == "hooks.shop.example" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", shop_dns)
    url = f"http://hooks.shop.example:{port}/hooks"

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    refused = send(url)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    allowed = send(url)

    assert "hooks.shop.example resolves to 127.0.0.1" in refused.error
    assert allowed.succeeded
    assert len(receiver.accepted()) == 1
