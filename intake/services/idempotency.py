"""Idempotency-Key handling with Stripe's semantics: a key is kept for 24 hours; the same key
with the same request replays the first response; the same key with another request is refused."""

import hashlib
import json
from collections.abc import Callable

from django.db import connection, transaction
from django.utils import timezone

from core.db import jsonb_storable
from core.models import ApiClient
from intake.constants import IDEMPOTENCY_KEY_TTL
from intake.models import IdempotencyRecord


class IdempotencyKeyReused(Exception):
    pass


def idempotency_request_hash(*, method: str, path: str, data) -> str:
    """The request as parsed JSON, so a retry that re-serialises the same body still matches."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def idempotent_call(
    *, client: ApiClient, key: str, request_hash: str, path: str, call: Callable[[], tuple]
) -> tuple[int, dict]:
    """Runs `call` (returning (status, body)) once per key; later calls get the stored answer.

    Error answers (4xx) are not stored, so a client may fix its request and retry the key.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"idempotency:{client.pk}:{key}"]
            )
        record = IdempotencyRecord.objects.filter(
            client=client, key=key, created_at__gte=timezone.now() - IDEMPOTENCY_KEY_TTL
        ).first()
        if record is not None:
            if record.request_hash != request_hash:
                raise IdempotencyKeyReused(key)
            return record.response_status, record.response_body
        status, body = call()
        if status < 400:
            # Stored and answered alike, so the first answer and its replays are the same.
            body = jsonb_storable(body)
            IdempotencyRecord.objects.filter(client=client, key=key).delete()
            IdempotencyRecord.objects.create(
                client=client,
                key=key,
                request_path=path,
                request_hash=request_hash,
                response_status=status,
                response_body=body,
            )
        return status, body


def idempotency_purge_expired() -> int:
    cutoff = timezone.now() - IDEMPOTENCY_KEY_TTL
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
