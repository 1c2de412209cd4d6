"""Creating API clients and recognising their keys. Only a SHA-256 of a key is stored."""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core.models import ApiClient
from core.services.audit import audit_record

KEY_PREFIX_LENGTH = 8
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _key_hash(key: str) -> str:
    # Keys are 256-bit random strings, so a plain SHA-256 is enough; no slow KDF needed.
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_client_create(
    *, name: str, role: str, actor_label: str = "system"
) -> tuple[ApiClient, str]:
    """Creates a client and returns it with its secret key, which is not stored anywhere."""
    key = f"rd_{secrets.token_urlsafe(32)}"
    client = ApiClient.objects.create(
        name=name, role=role, key_prefix=key[:KEY_PREFIX_LENGTH], key_hash=_key_hash(key)
    )
    audit_record(
        actor_label=actor_label,
        action="api_client.create",
        obj=client,
        after={"name": name, "role": role},
    )
    return client, key


@transaction.atomic
def api_clients_revoke(*, client_ids, actor) -> int:
    """Revokes the active clients among `client_ids`; a revoked key never works again."""
    revoked = list(ApiClient.objects.select_for_update().filter(pk__in=client_ids, is_active=True))
    for client in revoked:
        client.is_active = False
        client.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="api_client.revoke",
            obj=client,
            before={"is_active": True},
            after={"is_active": False},
        )
    return len(revoked)


def api_client_authenticate(*, key: str) -> ApiClient | None:
    client = ApiClient.objects.filter(key_hash=_key_hash(key), is_active=True).first()
    now = timezone.now()
    # Recorded at most once a minute: not a write on every request of a busy client.
    if client is not None and (
        client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION
    ):
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return client
