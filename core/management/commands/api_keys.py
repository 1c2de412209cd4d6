"""Lists, creates, rotates and revokes a client's API keys; a new key is printed once."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.choices import ApiRole
from core.models import ApiClient
from core.selectors import api_key_get, api_keys_list
from core.services.api_clients import ApiKeyRefused, api_key_create, api_key_rotate, api_keys_revoke

ACTOR = "manage.py"


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if value <= 0:
            raise ValueError(text)
        return value

    parse.__name__ = f"positive {kind.__name__}"
    return parse


class Command(BaseCommand):
    help = "Manage API keys: list, create, rotate (the old key keeps working) and revoke."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="every key, or one client's")
        listing.add_argument("client", nargs="?")
        create = sub.add_parser("create", help="a new key for a client; printed once")
        create.add_argument("client")
        create.add_argument("--name", required=True)
        create.add_argument("--role", choices=ApiRole.values, required=True)
        create.add_argument("--expires-in-days", type=_positive(int))
        rotate = sub.add_parser("rotate", help="a new key with the role of an old one")
        rotate.add_argument("client")
        rotate.add_argument("key", help="the name of the key to replace")
        rotate.add_argument("--new-name", help="default: the old name and the time")
        rotate.add_argument(
            "--grace-hours",
            type=_positive(float),
            help="the old key stops after this; default: when it expires or is revoked",
        )
        revoke = sub.add_parser("revoke", help="a key stops working at once")
        revoke.add_argument("client")
        revoke.add_argument("key", help="the name of the key to revoke")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ApiKeyRefused as exc:
            raise CommandError(str(exc)) from exc

    def _key(self, client, key):
        found = api_key_get(client_name=client, key_name=key)
        if found is None:
            raise CommandError(f"key: {client!r} has no key named {key!r}")
        return found

    def _list(self, *, client, **options):
        now = timezone.now()
        for key in api_keys_list(client_name=client):
            state = (
                "revoked"
                if key.revoked_at
                else "expired"
                if not key.is_valid_at(now)
                else f"until {key.expires_at:%Y-%m-%d %H:%M}Z"
                if key.expires_at
                else "in force"
            )
            used = f"{key.last_used_at:%Y-%m-%d %H:%M}Z" if key.last_used_at else "never"
            self.stdout.write(
                f"{key.client.name}\t{key.name}\t{key.role}\t{key.prefix}…\t{state}\tused {used}"
            )

    def _create(self, *, client, name, role, expires_in_days, **options):
        owner = ApiClient.objects.filter(name=client).first()
        if owner is None:
            raise CommandError(f"client: no API client named {client!r}")
        expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        key, secret = api_key_create(
            client=owner, name=name, role=role, expires_at=expires_at, actor_label=ACTOR
        )
        self.stdout.write(f"Created {role} key {key.name!r} for {client!r}. Shown only now:")
        self.stdout.write(secret)

    def _rotate(self, *, client, key, new_name, grace_hours, **options):
        old = self._key(client, key)
        old_expires_at = timezone.now() + timedelta(hours=grace_hours) if grace_hours else None
        new, secret = api_key_rotate(
            key=old, new_name=new_name, old_expires_at=old_expires_at, actor_label=ACTOR
        )
        old.refresh_from_db()
        until = f"until {old.expires_at:%Y-%m-%d %H:%M}Z" if old.expires_at else "until revoked"
        self.stdout.write(f"{key!r} keeps working {until}; the new key {new.name!r}, shown once:")
        self.stdout.write(secret)

    def _revoke(self, *, client, key, **options):
        found = self._key(client, key)
        if not api_keys_revoke(key_ids=[found.pk], actor_label=ACTOR):
            raise CommandError(f"key: {key!r} of {client!r} was revoked already")
        self.stdout.write(f"Revoked {key!r} of {client!r}.")
