"""Creates an API client with a first key, named "default", printed once on the last line."""

from django.core.management.base import BaseCommand, CommandError

from core.choices import ApiRole
from core.models import ApiClient
from core.services.api_clients import api_client_create


class Command(BaseCommand):
    help = "Create an API client and its first key; the key is printed once, only a hash is kept."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--role", choices=ApiRole.values, required=True)

    def handle(self, *args, name, role, **options):
        limit = ApiClient._meta.get_field("name").max_length
        if not name.strip() or len(name) > limit:
            raise CommandError(f"a client name needs 1 to {limit} characters")
        if ApiClient.objects.filter(name=name).exists():
            raise CommandError(f"an API client named {name!r} already exists")
        client, key = api_client_create(name=name, role=role, actor_label="manage.py")
        self.stdout.write(f"Created {role} client {client.name!r}. Its key is shown only now:")
        self.stdout.write(key)
