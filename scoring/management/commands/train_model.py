"""Trains a calibrated fraud model and OOD gate, prints the held-out report, registers it."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ml.schema import read_returns_csv
from ml.train import TrainingConfig, format_report
from scoring.services.models import model_version_register
from scoring.services.training import model_train, training_attributes


class Command(BaseCommand):
    help = (
        "Train on a labelled returns CSV and register (and by default activate) the model. "
        "Declared attributes the file has as attr_<name> columns are model inputs (an "
        "identifier as the count of other customers sharing it); the model version records "
        "which."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", type=Path, required=True)
        parser.add_argument("--no-activate", action="store_true")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, data, no_activate, seed, **options):
        if not data.exists():
            raise CommandError(f"no such file: {data}")
        started = time.monotonic()

        def progress(step):
            self.stdout.write(f"[{time.monotonic() - started:6.1f}s] {step}")
            self.stdout.flush()

        try:
            frame = read_returns_csv(data)
            attributes = training_attributes(columns=frame.columns)
            progress(
                "attributes: "
                + (", ".join(f"{name} ({kind})" for name, kind in attributes) or "none")
            )
            bundle = model_train(
                data=frame,
                config=TrainingConfig(random_state=seed, attributes=attributes),
                progress=progress,
            )
        except ValueError as exc:  # unreadable rows, or data the model cannot learn from
            raise CommandError(f"{data}: {exc}") from exc
        model_version = model_version_register(
            bundle=bundle, training_data=data.name, activate=not no_activate
        )
        report = bundle.report
        priced = report["priced_with"]
        mix = ", ".join(f"{action} {share:.1%}" for action, share in report["action_mix"].items())
        self.stdout.write(format_report(report))
        self.stdout.write(
            f"cost per return under the policy: {report['cost_per_return_policy']:.2f}, approve "
            f"all {report['cost_per_return_approve_all']:.2f} (false reject "
            f"{priced['false_reject_cost']}, review {priced['review_cost']}, OOD probability "
            f"{priced['ood_fraud_probability']}); actions: {mix}"
        )
        state = "active" if model_version.is_active else "registered, not active"
        self.stdout.write(self.style.SUCCESS(f"model {model_version.version} {state}"))
