"""Retrains on the original data plus labelled returns; promotes the challenger if it pays."""

import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from insights.services.retrain import NotEnoughLabels, model_retrain
from scoring.constants import PROMOTION_MARGIN
from scoring.selectors import training_data_default
from scoring.services.models import NoActiveModel


def _margin(value: str) -> Decimal:
    try:
        margin = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(value) from exc
    if not margin.is_finite():
        raise ValueError(value)  # argparse then names the option and the value
    return margin


class Command(BaseCommand):
    help = (
        "Train a challenger on --base plus the labelled returns (newest label each), compare it "
        "with the active model on the newest quarter of labels, and activate it only if it "
        "lowers the realized cost per return by at least --margin dollars. "
        "Undo with `activate_model --rollback`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base", type=Path, help="original training data (default: DEFAULT_TRAINING_DATA)"
        )
        parser.add_argument(
            "--margin",
            type=_margin,
            default=PROMOTION_MARGIN,
            help=f"dollars per return the challenger must save (default {PROMOTION_MARGIN})",
        )
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, base, margin, seed, **options):
        if base is None:
            try:
                base = training_data_default()
            except ImproperlyConfigured as exc:
                raise CommandError(str(exc)) from exc
        if not base.exists():
            raise CommandError(f"no such file: {base}")
        started = time.monotonic()

        def progress(step):
            self.stdout.write(f"[{time.monotonic() - started:6.1f}s] {step}")
            self.stdout.flush()

        try:
            comparison = model_retrain(
                base=base, margin=margin, random_state=seed, progress=progress
            )
        except (NotEnoughLabels, NoActiveModel, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        c = comparison
        self.stdout.write(
            f"hold-out: {c.holdout_size} labelled returns "
            f"({c.details['holdout_from']} … {c.details['holdout_to']}), "
            f"fraud rate {c.details['holdout_fraud_rate']:.1%}\n"
            f"{'':36}{'cost/return':>12}{'ECE':>10}{'Brier':>10}\n"
            f"{'champion ' + c.champion.version:36}{c.champion_cost:>12.4f}"
            f"{c.champion_ece:>10.4f}{c.champion_brier:>10.5f}\n"
            f"{'challenger ' + c.challenger.version:36}{c.challenger_cost:>12.4f}"
            f"{c.challenger_ece:>10.4f}{c.challenger_brier:>10.5f}"
        )
        style = self.style.SUCCESS if c.promoted else self.style.WARNING
        self.stdout.write(style(c.reason))
