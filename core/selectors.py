"""Reads of the platform layer: API clients and their keys, staff sign-in devices."""

from django.db.models import QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.choices import ApiRole
from core.models import ApiClient, ApiKey

RETAILER_ROLES = (ApiRole.SUBMITTER, ApiRole.LABELER)


def api_clients_retailers() -> QuerySet[ApiClient]:
    """Clients that own returns: those with submitter or labeler keys, in force or not."""
    return ApiClient.objects.filter(keys__role__in=RETAILER_ROLES).distinct().order_by("name")


def api_key_get(*, client_name: str, key_name: str) -> ApiKey | None:
    return (
        ApiKey.objects.select_related("client")
        .filter(client__name=client_name, name=key_name)
        .first()
    )


def api_keys_list(*, client_name: str | None = None) -> QuerySet[ApiKey]:
    keys = ApiKey.objects.select_related("client")
    return keys.filter(client__name=client_name) if client_name else keys


def two_factor_app_enrolled(*, user) -> bool:
    """Whether the account has a confirmed authenticator app (else it enrolls one)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()
