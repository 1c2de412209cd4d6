"""Resets a staff account's two-factor devices (a lost phone): it enrolls again at sign-in."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.services.two_factor import two_factor_reset

ACTOR = "manage.py"


class Command(BaseCommand):
    help = "Two-factor sign-in: reset USERNAME deletes the account's app and recovery codes."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        reset = sub.add_parser("reset", help="delete the account's devices; audited")
        reset.add_argument("username")

    def handle(self, *args, action, username, **options):
        try:
            count = two_factor_reset(username=username, actor_label=ACTOR)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No account named {username!r}.") from exc
        self.stdout.write(
            f"Deleted {count} device(s) of {username}; "
            "they set up an authenticator app at their next sign-in."
        )
