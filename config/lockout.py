"""Login lockouts: the client address failures are counted by (AXES_CLIENT_IP_CALLABLE) and the
answer to a login while its username and address are locked out (AXES_LOCKOUT_CALLABLE)."""

import ipaddress
import math

from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.shortcuts import render
from django.utils import timezone


def lockout_response(request, original_response, credentials):
    # Every failure restarts the cool-off, this one included, so it ends a full cool-off from now.
    cool_off = get_cool_off(request)
    response = render(
        request,
        "registration/lockout.html",
        {
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "username": get_client_username(request, credentials) or "",
            "cool_off_minutes": math.ceil(cool_off.total_seconds() / 60),
            "retry_at": timezone.now() + cool_off,
        },
        status=429,
    )
    response["Retry-After"] = str(math.ceil(cool_off.total_seconds()))
    return response


def client_ip_address(request) -> str | None:
    """The client's address: the connection's peer, or, behind TRUSTED_PROXY_COUNT proxies, the
    address the outermost of them was reached from.

    Each proxy appends its peer's address to X-Forwarded-For, so only the last
    TRUSTED_PROXY_COUNT entries were written by proxies; anything to their left is whatever the
    client sent. (django-ipware's proxy count instead counts proxies listed in the header, which
    a single load balancer never is, and takes a spoofed left-most entry as the client.)
    """
    peer = request.META.get("REMOTE_ADDR")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return peer
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < hops:
        return peer  # not through every proxy: no entry can be trusted
    try:
        return str(ipaddress.ip_address(forwarded[-hops]))
    except ValueError:
        return peer
