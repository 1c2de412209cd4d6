"""A reviewer signs in for the first time with two-factor sign-in required: enrolls an app from
the page's QR code and key, keeps the recovery codes, signs out, and signs in with password and
code."""

import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def app_code(secret: str, *, step: int) -> str:
    """What an authenticator app holding `secret` shows at time step `step` (30 s each)."""
    totp = TOTP(b32decode(secret))
    totp.time = step * 30
    return f"{totp.token():06d}"


def password_step(page):
    page.goto("/accounts/login/")
    page.fill("#id_username", "dana")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")


def test_enroll_an_app_sign_out_and_sign_in_with_password_and_code(new_page, settings):
    settings.STAFF_TOTP_REQUIRED = True
    UserFactory(username="dana", role="reviewer")
    page = new_page()

    password_step(page)

    expect(page.locator("h1")).to_have_text("Set up two-factor sign-in")
    expect(page.locator(".qr-code svg")).to_be_visible()
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    # The key as shown, in groups of four, is the same secret an app would be typed.
    assert page.locator("#totp-secret").inner_text().replace(" ", "") == secret
    page.fill("#id_code", app_code(secret, step=int(time.time()) // 30))
    page.click("#code-submit")

    expect(page.locator("h1")).to_have_text("Recovery codes")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.click("#continue")
    expect(page.locator("h1")).to_contain_text("Queue")

    page.click(".logout-form button")
    expect(page.locator("h1")).to_have_text("Log in")
    password_step(page)
    expect(page.locator("h1")).to_have_text("Two-factor code")
    # A code is accepted once; the app's next one is within the device's tolerance.
    used = TOTPDevice.objects.get(user__username="dana").last_t
    page.fill("#id_code", app_code(secret, step=used + 1))
    page.click("#code-submit")

    expect(page.locator("h1")).to_contain_text("Queue")
