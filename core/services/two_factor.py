"""Staff two-factor sign-in: enrolling an authenticator app, checking its codes and the one-time
recovery codes, and resetting a lost phone. Every step is audited against the account."""

import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.services.audit import audit_record

RECOVERY_CODE_COUNT = 10
TOTP_CODE = re.compile(r"\d{6}")
APP_DEVICE_NAME = "authenticator app"
RECOVERY_DEVICE_NAME = "recovery codes"


class TwoFactorRefused(Exception):
    """A code that did not verify; `field` names the form field, `message` says why."""

    def __init__(self, message: str, field: str = "code"):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Enrollment:
    device: TOTPDevice
    recovery_codes: list[str]


def _normalized(code: str) -> str:
    return "".join(code.split()).lower()


def recovery_code_stored_form(code: str) -> str:
    """What is kept of a recovery code: a hash keyed with SECRET_KEY, cut to the 16 characters
    django-otp's token field holds, so the table never holds a code that signs in."""
    return salted_hmac("two_factor.recovery_code", _normalized(code)).hexdigest()[:16]


def _throttled_message(info: dict) -> str:
    return (
        f"Too many wrong codes ({info['failure_count']} in a row): try again after "
        f"{info['locked_until']:%H:%M:%S} UTC."
    )


def _check(*, device, code: str, user, ip_address: str | None) -> str | None:
    """Verifies `code` on a device locked for update: None, or why it was refused (audited).
    Raises nothing: the failure count django-otp keeps must commit, so callers raise after."""
    allowed, info = device.verify_is_allowed()
    if not allowed:
        audit_record(
            action="two_factor.throttled",
            obj=user,
            actor=user,
            after={"device": device.name, "ip_address": ip_address, **_plain(info)},
        )
        return _throttled_message(info)
    is_recovery = isinstance(device, StaticDevice)
    if device.verify_token(recovery_code_stored_form(code) if is_recovery else code):
        return None
    audit_record(
        action="two_factor.failed",
        obj=user,
        actor=user,
        after={
            "device": device.name,
            "ip_address": ip_address,
            "failure_count": device.throttling_failure_count,
        },
    )
    if is_recovery:
        return "Wrong code: not one of this account's unused recovery codes."
    return "Wrong or expired code: enter the code your app shows now."


def _plain(info: dict) -> dict:
    return {
        "failure_count": info["failure_count"],
        "locked_until": info["locked_until"].isoformat(),
    }


def two_factor_enrollment_start(*, user) -> TOTPDevice:
    """The app device the user is enrolling: the unconfirmed one they have, else a new one, so
    a reloaded enrollment page shows the secret already scanned."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise TwoFactorRefused("An authenticator app is enrolled already.")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def two_factor_enrollment_confirm(*, user, code: str, ip_address: str | None) -> Enrollment:
    """Confirms the app device with a code it shows, and replaces the user's recovery codes with
    RECOVERY_CODE_COUNT new ones, returned once in plain text and stored only hashed."""
    code = _normalized(code)
    with transaction.atomic():
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise TwoFactorRefused("An authenticator app is enrolled already.")
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None:
            raise TwoFactorRefused("The enrollment expired: scan the new code on this page.")
        refusal = (
            "Enter the 6-digit code your app shows."
            if not TOTP_CODE.fullmatch(code)
            else _check(device=device, code=code, user=user, ip_address=ip_address)
        )
        if refusal is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            StaticDevice.objects.filter(user=user).delete()
            recovery = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME)
            codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
            StaticToken.objects.bulk_create(
                StaticToken(device=recovery, token=recovery_code_stored_form(code))
                for code in codes
            )
            audit_record(
                action="two_factor.enrolled",
                obj=user,
                actor=user,
                after={
                    "device": device.name,
                    "recovery_codes": len(codes),
                    "ip_address": ip_address,
                },
            )
    if refusal is not None:
        raise TwoFactorRefused(refusal)
    return Enrollment(device=device, recovery_codes=codes)


def two_factor_verify(*, user, code: str, ip_address: str | None):
    """The device that accepts `code`: the app's for six digits, else a recovery code, which is
    used up. Each device throttles its own wrong codes (1, 2, 4 … seconds apart)."""
    code = _normalized(code)
    is_app_code = bool(TOTP_CODE.fullmatch(code))
    model = TOTPDevice if is_app_code else StaticDevice
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            refusal = "Enter the 6-digit code your app shows, or one of your recovery codes."
        else:
            refusal = _check(device=device, code=code, user=user, ip_address=ip_address)
        if refusal is None:
            remaining = None if is_app_code else device.token_set.count()
            audit_record(
                action="two_factor.verified" if is_app_code else "two_factor.recovery_code_used",
                obj=user,
                actor=user,
                after={"device": device.name, "ip_address": ip_address}
                | ({} if is_app_code else {"recovery_codes_left": remaining}),
            )
    if refusal is not None:
        raise TwoFactorRefused(refusal)
    return device


@transaction.atomic
def two_factor_devices_delete(*, devices, actor=None, actor_label: str | None = None) -> int:
    """Deletes these devices (an app, recovery codes), audited on each owner's account; the
    owner enrolls again at their next sign-in."""
    count = 0
    for device in devices:
        audit_record(
            action="two_factor.device_deleted",
            obj=device.user,
            actor=actor,
            actor_label=actor_label,
            before={"device": device.name, "kind": device._meta.model_name},
        )
        device.delete()
        count += 1
    return count


@transaction.atomic
def two_factor_reset(*, username: str, actor=None, actor_label: str | None = None) -> int:
    """Deletes every device of the account (its phone was lost): the next sign-in enrolls anew."""
    user = get_user_model().objects.get_by_natural_key(username)
    apps = list(TOTPDevice.objects.filter(user=user))
    recovery = list(StaticDevice.objects.filter(user=user))
    audit_record(
        action="two_factor.reset",
        obj=user,
        actor=actor,
        actor_label=actor_label,
        before={"devices": [device.name for device in apps + recovery]},
    )
    for device in apps + recovery:
        device.delete()
    return len(apps) + len(recovery)
