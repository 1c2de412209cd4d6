"""Staff two-factor sign-in with STAFF_TOTP_REQUIRED: after the password, a staff account enrolls
an authenticator app (then gets recovery codes once) or enters its code, and nothing of the desk
or the admin opens before that; API keys, probes and the metrics token work as before."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.choices import ApiRole
from core.models import AuditEvent
from core.services.two_factor import recovery_code_stored_form
from tests.conftest import bearer
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"  # UserFactory's

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def required(settings):
    settings.STAFF_TOTP_REQUIRED = True


def code_for(device: TOTPDevice, *, later_steps: int = 0) -> str:
    """The code the user's app shows now, or for a time step after the last one used (a code is
    accepted once, and the step after it is within the device's tolerance)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if later_steps:
        totp.time = device.t0 + (device.last_t + later_steps) * device.step
    return f"{totp.token():0{device.digits}d}"


def sign_in(client, username, next_page="/"):
    response = client.post(
        "/accounts/login/", {"username": username, "password": PASSWORD, "next": next_page}
    )
    assert response.status_code == 302, response.content
    return client.get(response["Location"])


def back_off_passed(device):
    """As if the wait django-otp sets after a wrong code were over."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=F("throttling_failure_timestamp") - timedelta(minutes=1)
    )


def enrolled(username="dana", role="reviewer", **fields):
    user = UserFactory(username=username, role=role, **fields)
    device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)
    recovery = StaticDevice.objects.create(user=user, name="recovery codes")
    recovery.token_set.create(token=recovery_code_stored_form("abcd2345"))
    return user, device


def actions(user):
    return list(
        AuditEvent.objects.filter(object_id=str(user.pk), action__startswith="two_factor.")
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_a_new_staff_account_enrolls_an_app_and_gets_recovery_codes_once(client):
    user = UserFactory(username="dana", role="reviewer")

    page = sign_in(client, "dana")

    assert page.status_code == 302
    assert page["Location"] == "/accounts/two-factor/enroll/?next=%2F"
    enroll = client.get(page["Location"])
    assert enroll.status_code == 200
    body = enroll.content.decode()
    assert '<svg width="' in body
    assert "<path" in body
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = enroll.context["secret"]
    assert f'data-secret="{secret}"' in body
    assert "otpauth://" not in body
    # The page reloaded shows the same secret: the one already scanned.
    assert client.get("/accounts/two-factor/enroll/").context["secret"] == secret
    assert client.get("/").status_code == 302  # nothing opens yet

    wrong = client.post("/accounts/two-factor/enroll/", {"code": "000000", "next": "/"})
    assert wrong.status_code == 200
    assert "Code: Wrong or expired code" in wrong.content.decode()
    back_off_passed(device)

    confirmed = client.post("/accounts/two-factor/enroll/", {"code": code_for(device), "next": "/"})

    assert confirmed.status_code == 200
    codes = confirmed.context["recovery_codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(code in confirmed.content.decode() for code in codes)
    assert confirmed["Cache-Control"].startswith("max-age=0")
    device.refresh_from_db()
    assert device.confirmed
    stored = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert stored == {recovery_code_stored_form(code) for code in codes}
    assert not stored & set(codes)  # only hashes are kept
    assert client.get("/").status_code == 200
    # Enrolled, the page sends to the code step rather than showing a new secret.
    assert client.get("/accounts/two-factor/enroll/").status_code == 302
    assert actions(user) == ["two_factor.failed", "two_factor.enrolled"]
    # The next sign-in asks for a code; each code is accepted once, so the next step's.
    again = Client()
    sign_in(again, "dana")
    code = code_for(device, later_steps=1)
    assert again.post("/accounts/two-factor/", {"code": code}).status_code == 302
    assert again.get("/").status_code == 200


def test_an_enrolled_account_enters_its_code_before_any_page_or_the_admin(client):
    user, device = enrolled(role="admin", is_staff=True)

    page = sign_in(client, "dana", next_page="/admin/")

    assert page.status_code == 302
    assert page["Location"] == "/accounts/two-factor/?next=%2Fadmin%2F"
    for path in ("/", "/reports/", "/rules/", "/admin/", "/admin/core/auditevent/", "/api/docs/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/two-factor/?next="), path
    assert client.post("/next/").status_code == 302

    verified = client.post("/accounts/two-factor/", {"code": code_for(device), "next": "/admin/"})

    assert verified.status_code == 302
    assert verified["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/reports/").status_code == 200
    assert actions(user) == ["two_factor.verified"]


def test_a_wrong_code_names_the_field_and_repeated_ones_are_throttled_and_audited(client):
    user, device = enrolled()
    sign_in(client, "dana")

    # Not six digits: tried as a recovery code.
    wrong = client.post("/accounts/two-factor/", {"code": "12345x"})
    assert "Code: Wrong code: not one of this account&#x27;s unused recovery codes." in (
        wrong.content.decode()
    )
    wrong = client.post("/accounts/two-factor/", {"code": "000000"})
    assert "Code: Wrong or expired code" in wrong.content.decode()

    # Right away, even the right code waits: django-otp's back-off on the device.
    throttled = client.post("/accounts/two-factor/", {"code": code_for(device)})

    assert throttled.status_code == 200
    assert "Code: Too many wrong codes (1 in a row): try again after" in throttled.content.decode()
    assert client.get("/").status_code == 302
    assert actions(user) == ["two_factor.failed", "two_factor.failed", "two_factor.throttled"]
    failed = AuditEvent.objects.filter(action="two_factor.failed").order_by("pk").last()
    assert failed.after["ip_address"] == "127.0.0.1"

    # Once the back-off has passed, the right code verifies.
    back_off_passed(device)
    assert client.post("/accounts/two-factor/", {"code": code_for(device)}).status_code == 302
    assert client.get("/").status_code == 200


def test_a_blank_code_is_refused_by_name(client):
    enrolled()
    sign_in(client, "dana")

    blank = client.post("/accounts/two-factor/", {"code": "  "})

    assert blank.status_code == 200
    assert "Code: Enter the 6-digit code your app shows." in blank.content.decode()


def test_a_recovery_code_signs_in_once_and_is_audited(client):
    user, _ = enrolled()
    sign_in(client, "dana")

    used = client.post("/accounts/two-factor/", {"code": "ABCD 2345"})

    assert used.status_code == 302
    assert client.get("/").status_code == 200
    event = AuditEvent.objects.get(action="two_factor.recovery_code_used")
    assert event.after["recovery_codes_left"] == 0
    again = Client()
    sign_in(again, "dana")
    assert again.post("/accounts/two-factor/", {"code": "abcd2345"}).status_code == 200
    assert again.get("/").status_code == 302


def test_the_next_page_stays_on_this_site(client):
    _, device = enrolled()
    sign_in(client, "dana")

    response = client.post(
        "/accounts/two-factor/", {"code": code_for(device), "next": "https://evil.example/"}
    )

    assert response["Location"] == "/"


def test_code_forms_need_the_csrf_token():
    _, device = enrolled()
    client = Client(enforce_csrf_checks=True)
    client.force_login(device.user)

    assert client.post("/accounts/two-factor/", {"code": code_for(device)}).status_code == 403
    assert client.get("/").status_code == 302


def test_an_unverified_session_is_signed_out_for_the_api_while_keys_work(client, settings):
    settings.METRICS_TOKEN = "scrape-token"
    enrolled(role="lead")
    sign_in(client, "dana")

    assert client.get("/api/v1/cases").status_code in (401, 403)
    assert client.get("/metrics").status_code == 403
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token").status_code == 200

    from core.services.api_clients import api_client_create

    _, key = api_client_create(name="desk", role=ApiRole.REVIEWER)
    assert bearer(key).get("/api/v1/cases").status_code == 200


def test_without_the_setting_a_password_signs_in_and_accounts_without_a_role_are_not_asked(
    client, settings
):
    UserFactory(username="nobody")
    page = sign_in(client, "nobody")
    assert page.status_code == 403  # no role: refused as before, not sent to enroll

    settings.STAFF_TOTP_REQUIRED = False
    UserFactory(username="dana", role="reviewer")
    assert sign_in(Client(), "dana").status_code == 200


def test_the_reset_command_deletes_the_devices_and_the_next_sign_in_enrolls(client):
    user, _ = enrolled()
    out = StringIO()

    call_command("two_factor", "reset", "dana", stdout=out)

    assert "Deleted 2 device(s) of dana" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(action="two_factor.reset")
    assert event.actor_label == "manage.py"
    assert event.before == {"devices": ["authenticator app", "recovery codes"]}
    assert sign_in(client, "dana")["Location"].startswith("/accounts/two-factor/enroll/")
    with pytest.raises(CommandError, match="No account named 'nobody'"):
        call_command("two_factor", "reset", "nobody")


def test_admins_see_and_delete_devices_in_the_admin_and_no_one_else(settings):
    settings.STAFF_TOTP_REQUIRED = False
    _, device = enrolled()
    admin = UserFactory(username="ari", role="admin", is_staff=True)
    lead = UserFactory(username="lee", role="lead", is_staff=True)
    url = "/admin/otp_totp/totpdevice/"
    as_lead, as_admin = Client(), Client()
    as_lead.force_login(lead)
    as_admin.force_login(admin)

    assert as_lead.get(url).status_code == 403
    listing = as_admin.get(url)
    assert listing.status_code == 200
    assert "dana" in listing.content.decode()
    detail = as_admin.get(f"{url}{device.pk}/change/")
    assert detail.status_code == 200
    assert device.key not in detail.content.decode()  # the secret stays in the database
    assert as_admin.get(f"{url}add/").status_code == 403

    deleted = as_admin.post(f"{url}{device.pk}/delete/", {"post": "yes"})

    assert deleted.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    event = AuditEvent.objects.get(action="two_factor.device_deleted")
    assert event.actor_label == "ari"
    assert event.object_id == str(device.user_id)
