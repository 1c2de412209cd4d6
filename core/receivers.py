"""Audits logins: each success, each failure and each lockout, with the client's address."""

from axes.helpers import get_client_ip_address, get_cool_off
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from core.services.audit import audit_record

# A username is at most this long; anything longer is an attacker's payload, kept in part.
USERNAME_KEPT = 150


def _address(request) -> str | None:
    # The address Axes counts failures by, so that the trail and the lockouts agree.
    return get_client_ip_address(request) if request is not None else None


def _login_audit(*, action: str, request, username: str | None, actor=None, **after) -> None:
    """Records a login event against the account the username names, when it names one."""
    user_model = get_user_model()
    username = (username or "")[:USERNAME_KEPT]
    account = actor or user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()
    address = _address(request)
    audit_record(
        action=action,
        obj=account,
        object_type=user_model._meta.label_lower,
        actor=actor,
        actor_label=None if actor else f"anonymous from {address or 'an unknown address'}",
        after={"username": username, "ip_address": address, **after},
    )


@receiver(user_logged_in, dispatch_uid="core.audit_login_succeeded")
def audit_login_succeeded(sender, request, user, **kwargs):
    _login_audit(
        action="login.succeeded", request=request, username=user.get_username(), actor=user
    )


@receiver(user_login_failed, dispatch_uid="core.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    username = credentials.get(get_user_model().USERNAME_FIELD)
    _login_audit(action="login.failed", request=request, username=username)


@receiver(user_locked_out, dispatch_uid="core.audit_login_locked_out")
def audit_login_locked_out(sender, request, username, ip_address, **kwargs):
    _login_audit(
        action="login.locked_out",
        request=request,
        username=username,
        failure_limit=settings.AXES_FAILURE_LIMIT,
        locked_until=(timezone.now() + get_cool_off(request)).isoformat(),
    )
