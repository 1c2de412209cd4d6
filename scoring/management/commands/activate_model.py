"""Activates a model version, or rolls back to the one active before the current."""

from django.core.management.base import BaseCommand, CommandError

from ml.artifacts import TamperedArtifactError
from scoring.models import ModelVersion
from scoring.services.models import model_version_activate, model_version_rollback


class Command(BaseCommand):
    help = "Activate VERSION, or --rollback to the previously active version."

    def add_arguments(self, parser):
        parser.add_argument("version", nargs="?")
        parser.add_argument("--rollback", action="store_true")

    def handle(self, *args, version, rollback, **options):
        if bool(version) == rollback:
            raise CommandError("give either a VERSION or --rollback")
        try:
            if rollback:
                model_version = model_version_rollback(actor=None)
            else:
                model_version = model_version_activate(version=version, actor=None)
        except ModelVersion.DoesNotExist as exc:
            message = str(exc) if rollback else f"no model version {version!r}"
            raise CommandError(message) from exc
        except TamperedArtifactError as exc:
            raise CommandError(f"not activated, its files are not intact: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"active model: {model_version.version}"))
