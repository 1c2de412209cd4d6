"""Prepares a fresh installation for `make run`: demo accounts, the default model, a demo client.

Safe to run again: it only creates what is missing.
"""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from core.choices import ApiRole
from core.constants import GROUP_ADMIN, GROUP_LEAD, GROUP_REVIEWER
from core.models import ApiClient
from core.services.api_clients import api_client_create
from scoring.models import ModelVersion
from scoring.selectors import training_data_default

DEMO_USERS = (("reviewer", GROUP_REVIEWER), ("lead", GROUP_LEAD), ("admin", GROUP_ADMIN))
DEMO_CLIENT = "demo-shop"


class Command(BaseCommand):
    help = "Create demo users, the default model and the demo client when missing."

    def handle(self, *args, **options):
        logins_file = Path(settings.VAR_DIR) / "demo-logins.txt"
        created = self._create_users()
        if created:
            logins_file.parent.mkdir(parents=True, exist_ok=True)
            logins_file.write_text("".join(f"{u} {p}\n" for u, p in created))
            logins_file.chmod(0o600)
            self.stdout.write("Demo logins (shown once; also in var/demo-logins.txt):")
            for username, password in created:
                self.stdout.write(f"  {username:<9} {password}")
        else:
            self.stdout.write(f"Demo logins are in {logins_file.relative_to(settings.BASE_DIR)}")
        if not ModelVersion.objects.filter(is_active=True).exists():
            try:
                data = training_data_default()
            except ImproperlyConfigured as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"No active model: training the default one on {data}.")
            call_command("train_model", data=data)
        if not ApiClient.objects.filter(name=DEMO_CLIENT).exists():
            api_client_create(name=DEMO_CLIENT, role=ApiRole.SUBMITTER, actor_label="bootstrap")

    def _create_users(self) -> list[tuple[str, str]]:
        User = get_user_model()
        created = []
        for username, group_name in DEMO_USERS:
            if User.objects.filter(username=username).exists():
                continue
            password = secrets.token_urlsafe(9)
            user = User.objects.create_user(
                username=username, password=password, is_staff=group_name == GROUP_ADMIN
            )
            user.groups.add(Group.objects.get(name=group_name))
            created.append((username, password))
        return created
