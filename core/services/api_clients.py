"""API clients and their keys: making, rotating and revoking keys, and recognising them.

Only a SHA-256 of a key is stored; the key itself is returned once, to be shown once. Every
change to a key is in the audit trail, without the key.
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.choices import ApiRole
from core.models import ApiClient, ApiKey
from core.services.audit import audit_record

KEY_PREFIX_LENGTH = 8
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyRefused(ValueError):
    """A key that may not be made as asked: `field` names what is wrong and the text says why."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def _key_hash(key: str) -> str:
    # Keys are 256-bit random strings, so a plain SHA-256 is enough; no slow KDF needed.
    return hashlib.sha256(key.encode()).hexdigest()


def _key_facts(key: ApiKey) -> dict:
    expires_at = key.expires_at.isoformat() if key.expires_at else None
    return {
        "client": key.client.name,
        "name": key.name,
        "role": key.role,
        "prefix": key.prefix,
        "expires_at": expires_at,
    }


def api_key_check(*, client: ApiClient, name: str, role: str, expires_at: datetime | None) -> None:
    """Raises ApiKeyRefused, naming the field, unless `client` may have such a key."""
    if role not in ApiRole.values:
        raise ApiKeyRefused("role", f"one of {', '.join(ApiRole.values)}")
    limit = ApiKey._meta.get_field("name").max_length
    if not name.strip() or len(name) > limit:
        raise ApiKeyRefused("name", f"1 to {limit} characters")
    if expires_at is not None and expires_at <= timezone.now():
        raise ApiKeyRefused("expires_at", "must be in the future")
    if client.keys.filter(name=name).exists():
        raise ApiKeyRefused("name", f"{client.name} already has a key named {name!r}")
    # A reviewer key sees every retailer's cases, so it never shares a client (a tenant) with a
    # retailer's keys, and a retailer's client cannot be given one by mistake.
    others = set(client.keys.filter(revoked_at__isnull=True).values_list("role", flat=True))
    if others and (role == ApiRole.REVIEWER) != (others == {ApiRole.REVIEWER}):
        raise ApiKeyRefused(
            "role", "reviewer keys belong to a client of their own, apart from a retailer's keys"
        )


@transaction.atomic
def api_key_create(
    *,
    client: ApiClient,
    name: str,
    role: str,
    expires_at: datetime | None = None,
    actor=None,
    actor_label: str | None = None,
) -> tuple[ApiKey, str]:
    """Makes a key for `client` and returns it with the secret, which is not stored anywhere."""
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    api_key_check(client=client, name=name, role=role, expires_at=expires_at)
    now = timezone.now()
    secret = f"rd_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        client=client,
        name=name,
        role=role,
        prefix=secret[:KEY_PREFIX_LENGTH],
        hash=_key_hash(secret),
        created_at=now,
        expires_at=expires_at,
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        action="api_key.create",
        obj=key,
        after=_key_facts(key),
    )
    return key, secret


@transaction.atomic
def api_client_create(
    *, name: str, role: str, actor=None, actor_label: str | None = "system"
) -> tuple[ApiClient, str]:
    """Makes a client with a first key, named "default", and returns it with that key's secret."""
    client = ApiClient.objects.create(name=name)
    audit_record(
        actor=actor,
        actor_label=actor_label,
        action="api_client.create",
        obj=client,
        after={"name": name},
    )
    _, secret = api_key_create(
        client=client, name="default", role=role, actor=actor, actor_label=actor_label
    )
    return client, secret


@transaction.atomic
def api_key_rotate(
    *,
    key: ApiKey,
    new_name: str | None = None,
    old_expires_at: datetime | None = None,
    actor=None,
    actor_label: str | None = None,
) -> tuple[ApiKey, str]:
    """A new key with the old one's role, while the old one keeps working until it expires or is
    revoked: `old_expires_at` brings its end forward (never later than it was)."""
    key = ApiKey.objects.select_for_update().select_related("client").get(pk=key.pk)
    now = timezone.now()
    if not key.is_valid_at(now):
        raise ApiKeyRefused("key", "revoked or expired keys are not rotated; create a new one")
    if old_expires_at is not None and old_expires_at <= now:
        raise ApiKeyRefused("old_expires_at", "must be in the future; revoke the key instead")
    new_key, secret = api_key_create(
        client=key.client,
        name=new_name or f"{key.name}-{now:%Y%m%d-%H%M%S}",
        role=key.role,
        actor=actor,
        actor_label=actor_label,
    )
    before = _key_facts(key)
    if old_expires_at is not None and (key.expires_at is None or old_expires_at < key.expires_at):
        key.expires_at = old_expires_at
        key.save(update_fields=["expires_at"])
    audit_record(
        actor=actor,
        actor_label=actor_label,
        action="api_key.rotate",
        obj=key,
        before=before,
        after=_key_facts(key) | {"replaced_by": new_key.name},
    )
    return new_key, secret


@transaction.atomic
def api_keys_revoke(*, key_ids, actor=None, actor_label: str | None = None) -> int:
    """Revokes the keys among `key_ids` not revoked yet; a revoked key never works again."""
    now = timezone.now()
    keys = ApiKey.objects.select_for_update().select_related("client")
    revoked = list(keys.filter(pk__in=key_ids, revoked_at__isnull=True))
    for key in revoked:
        key.revoked_at = now
        key.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            actor_label=actor_label,
            action="api_key.revoke",
            obj=key,
            before={"revoked_at": None},
            after=_key_facts(key) | {"revoked_at": now.isoformat()},
        )
    return len(revoked)


@transaction.atomic
def api_clients_revoke(*, client_ids, actor) -> int:
    """Revokes the active clients among `client_ids`: none of their keys works again."""
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


def api_key_authenticate(*, secret: str) -> ApiKey | None:
    """The key `secret` is, with its client, if it is in force and its client active."""
    now = timezone.now()
    digest = _key_hash(secret)
    candidates = ApiKey.objects.select_related("client").filter(
        prefix=secret[:KEY_PREFIX_LENGTH], client__is_active=True
    )
    key = next((k for k in candidates if hmac.compare_digest(k.hash, digest)), None)
    if key is None or not key.is_valid_at(now):
        return None
    # Recorded at most once a minute: not a write on every request of a busy key.
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
