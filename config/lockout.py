"""The answer to a login while its username and address are locked out (AXES_LOCKOUT_CALLABLE)."""

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
