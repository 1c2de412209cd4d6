"""Backtests a labelled CSV through the live decision code in a scratch database."""

import csv
import dataclasses
import json
import time
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from config.scratch_db import scratch_database
from scoring.models import ModelVersion
from scoring.services.models import model_version_load
from scoring.services.replay import ReplayOverrides, format_summary, replay_run, replay_start


class Command(BaseCommand):
    help = (
        "Replay a labelled returns CSV in file order through the same decision, ledger and hold "
        "code the workers use, in a scratch database, and compare with approve-all and the "
        "reference design."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", type=Path, required=True)
        parser.add_argument("--false-reject-cost", type=Decimal)
        parser.add_argument("--review-cost", type=Decimal)
        parser.add_argument("--budget", type=Decimal, help="default per-customer budget")
        parser.add_argument("--window-days", type=int)
        parser.add_argument("--portfolio-budget", type=Decimal)
        parser.add_argument("--ood-probability", type=float, dest="ood_fraud_probability")
        parser.add_argument(
            "--hold-velocity",
            type=int,
            help="returns in 30 days from which a fraud verdict holds the customer and approvals "
            "are priced with the budget they leave open; 0 turns that pricing off",
        )
        parser.add_argument(
            "--audit-sample-rate",
            type=float,
            default=0.0,
            help="share of would-be approvals sent to review for unbiased labels (default 0)",
        )
        parser.add_argument("--reviewer", choices=("oracle", "none"), default="oracle")
        parser.add_argument("--per-day", type=int, default=1000, help="returns arriving a day")
        parser.add_argument("--model", help="model version (default: the active one)")
        parser.add_argument("--out", type=Path)

    def handle(self, *args, data, reviewer, per_day, model, out, **options):
        if not data.exists():
            raise CommandError(f"no such file: {data}")
        live = ModelVersion.objects.filter(**({"version": model} if model else {"is_active": True}))
        model_version = live.first()
        if model_version is None:
            raise CommandError("no such model version" if model else "no active model version")
        bundle = model_version_load(model_version)
        # Every override has an option of the same name, so none can be left out here.
        overrides = ReplayOverrides(
            **{field.name: options[field.name] for field in dataclasses.fields(ReplayOverrides)}
        )
        with data.open() as handle:
            total = sum(1 for _ in handle) - 1
        started = time.monotonic()
        with scratch_database(purpose="replay", say=self.stdout.write):
            scratch_model = ModelVersion.objects.create(
                **{
                    f.name: getattr(model_version, f.name)
                    for f in ModelVersion._meta.concrete_fields
                    if f.name != "id"
                }
            )
            with tqdm(total=total, unit="return", desc="replaying") as bar:
                result = replay_run(
                    data=data,
                    model_version=scratch_model,
                    bundle=bundle,
                    overrides=overrides,
                    oracle=reviewer == "oracle",
                    per_day=per_day,
                    start=replay_start(total, per_day),
                    progress=bar.update,
                )
        self.stdout.write(format_summary(result.summary))
        self.stdout.write(f"finished in {time.monotonic() - started:.1f}s")
        if out:
            out.mkdir(parents=True, exist_ok=True)
            (out / "summary.json").write_text(json.dumps(result.summary, indent=2) + "\n")
            with (out / "decisions.csv").open("w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(result.rows[0]))
                writer.writeheader()
                writer.writerows(result.rows)
            self.stdout.write(f"wrote {out / 'summary.json'} and {out / 'decisions.csv'}")
