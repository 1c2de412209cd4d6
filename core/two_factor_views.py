"""The second sign-in step: a staff account enters the code its authenticator app shows (or a
recovery code), or, the first time, enrolls an app from a QR code drawn here as inline SVG."""

from base64 import b32encode
from urllib.parse import urlencode

import django_otp
import segno
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.forms import TwoFactorCodeForm
from core.selectors import two_factor_app_enrolled
from core.services.two_factor import (
    TwoFactorRefused,
    two_factor_enrollment_confirm,
    two_factor_enrollment_start,
    two_factor_verify,
)


def _next_url(request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if safe else resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _verified(request, device) -> None:
    # A new session key for the verified session, as a login gets one.
    request.session.cycle_key()
    django_otp.login(request, device)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    next_url = _next_url(request)
    if request.user.is_verified():
        return redirect(next_url)
    if not two_factor_app_enrolled(user=request.user):
        return redirect(_with_next("two-factor:enroll", next_url))
    form = TwoFactorCodeForm(request.POST or None)
    if form.is_valid():
        try:
            device = two_factor_verify(
                user=request.user,
                code=form.cleaned_data["code"],
                ip_address=get_client_ip_address(request),
            )
        except TwoFactorRefused as refused:
            form.add_error(refused.field, refused.message)
        else:
            _verified(request, device)
            return redirect(next_url)
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": next_url})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def enroll(request):
    next_url = _next_url(request)
    if two_factor_app_enrolled(user=request.user):
        return redirect(_with_next("two-factor:verify", next_url))
    device = two_factor_enrollment_start(user=request.user)
    form = TwoFactorCodeForm(request.POST or None)
    if form.is_valid():
        try:
            enrollment = two_factor_enrollment_confirm(
                user=request.user,
                code=form.cleaned_data["code"],
                ip_address=get_client_ip_address(request),
            )
        except TwoFactorRefused as refused:
            form.add_error(refused.field, refused.message)
        else:
            _verified(request, enrollment.device)
            # Shown on this answer only: the codes are never displayed again.
            return render(
                request,
                "registration/two_factor_recovery_codes.html",
                {"recovery_codes": enrollment.recovery_codes, "next": next_url},
            )
    secret = b32encode(device.bin_key).decode()
    qr_code = segno.make(device.config_url, error="m")
    return render(
        request,
        "registration/two_factor_enroll.html",
        {
            "form": form,
            "next": next_url,
            # segno writes the SVG from the device's otpauth URL alone: nothing here to escape.
            "qr_svg": mark_safe(qr_code.svg_inline(scale=5, dark="#1f2933", light="#ffffff")),
            "secret": secret,
            "secret_groups": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )
