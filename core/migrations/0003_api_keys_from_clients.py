"""Each client's key becomes its first key, named "default", with the client's role.

Reversible while every client still has exactly one key: going back, a client's oldest key in
force returns to the client (a client without one gets a hash no key has), and the others are
lost. The migration back refuses when a key has a role the old schema lacks.
"""

import secrets

from django.db import migrations
from django.db.models import Q
from django.utils import timezone


def keys_from_clients(apps, schema_editor):
    ApiClient = apps.get_model("core", "ApiClient")
    ApiKey = apps.get_model("core", "ApiKey")
    ApiKey.objects.bulk_create(
        ApiKey(
            client=client,
            name="default",
            role=client.role,
            prefix=client.key_prefix,
            hash=client.key_hash,
            created_at=client.created_at,
            last_used_at=client.last_used_at,
        )
        for client in ApiClient.objects.all()
    )


def clients_from_keys(apps, schema_editor):
    ApiClient = apps.get_model("core", "ApiClient")
    ApiKey = apps.get_model("core", "ApiKey")
    labelers = ApiKey.objects.filter(role="labeler").values_list("client__name", flat=True)
    if labelers:
        raise RuntimeError(
            f"labeler keys cannot move back (clients {sorted(set(labelers))}): revoke and delete them"
        )
    for client in ApiClient.objects.all():
        in_force = client.keys.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        )
        key = in_force.order_by("created_at", "id").first()
        if key is None:
            client.role, client.key_prefix = "submitter", "!"
            client.key_hash = f"!{secrets.token_hex(31)}"  # no key hashes to this
        else:
            client.role, client.key_prefix, client.key_hash = key.role, key.prefix, key.hash
            client.last_used_at = key.last_used_at
        client.save(update_fields=["role", "key_prefix", "key_hash", "last_used_at"])
    ApiKey.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_api_keys"),
    ]

    operations = [
        migrations.RunPython(keys_from_clients, clients_from_keys),
    ]
