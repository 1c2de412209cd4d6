"""Prints how far recent returns (or a CSV) have drifted from the active model's training data."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from insights.services.drift import DriftReferenceMissing, drift_measure_file, drift_measure_live
from scoring.constants import DRIFT_WINDOW_DAYS
from scoring.services.models import NoActiveModel


class Command(BaseCommand):
    help = (
        "PSI of each feature and of the fraud score against the active model's training data "
        "(ok < 0.1 <= warn < 0.25 <= alarm), the OOD rate and the calibration, for the returns "
        "of the last --days days or for a CSV of the shared columns (--data)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", type=Path, help="a returns CSV instead of live returns")
        parser.add_argument("--days", type=int, default=DRIFT_WINDOW_DAYS)

    def handle(self, *args, data, days, **options):
        if data is not None and not data.exists():
            raise CommandError(f"no such file: {data}")
        if days < 1:
            raise CommandError("--days must be at least 1")
        try:
            if data is not None:
                measurement = drift_measure_file(path=data)
            else:
                measurement = drift_measure_live(days=days)
        except (NoActiveModel, DriftReferenceMissing, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        metrics = measurement.metrics
        source = data.name if data is not None else f"returns of the last {days} days"
        self.stdout.write(
            f"{source}: {metrics['returns']:,} returns against model {metrics['model_version']}"
        )
        self.stdout.write(f"{'feature':<24}{'PSI':>10}  status")
        paint = {"ok": self.style.SUCCESS, "warn": self.style.WARNING, "alarm": self.style.ERROR}
        for row in metrics["features"]:
            status = paint[row["status"]](row["status"])
            self.stdout.write(f"{row['feature']:<24}{row['psi']:>10.4f}  {status}")
        if "ood_rate" in metrics:
            expected = metrics["ood_rate_expected"]
            self.stdout.write(
                f"OOD rate {metrics['ood_rate']:.1%}"
                + (f" (expected about {expected:.1%})" if expected is not None else "")
            )
        calibration = metrics["calibration"]
        if calibration["ece"] is not None:
            self.stdout.write(
                f"calibration: ECE {calibration['ece']:.4f} on {calibration['labelled']:,} "
                "labelled returns"
            )
        self.stdout.write(f"status: {measurement.status}")
