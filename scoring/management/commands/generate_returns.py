"""Writes a synthetic returns CSV for a scenario, reproducibly by seed."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ml.generate import SCENARIOS, generate_returns, summarize


class Command(BaseCommand):
    help = (
        "Generate synthetic returns (with fraud patterns) to a CSV file. --attributes adds "
        "retailer signals as attr_<name> columns, each drawn from the label: account_age_days "
        "(60% of fraud from accounts under 30 days old), email_domain_class (free / corporate "
        "/ disposable; disposable 2% of legitimate returns, 35% of fraud), "
        "billing_shipping_mismatch (5% / 40%), return_reason (fraud claims damaged or "
        "not_as_described), items_in_order (fraud: single items), order_hour (40% of fraud "
        "at night) and device_id (one per customer, 1 in 25 shared by a household; a ring works "
        "all its accounts from one to three devices). "
        "Declare them (see README) to import or train on them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, required=True)
        parser.add_argument("--scenario", choices=SCENARIOS, default="normal")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument(
            "--attributes", action="store_true", help="add the retailer signals' columns"
        )

    def handle(self, *args, rows, scenario, seed, out, attributes, **options):
        if rows < 1:
            raise CommandError("--rows must be at least 1")
        if out.is_dir():
            raise CommandError(f"--out {out} is a directory; name the CSV file to write")
        frame = generate_returns(rows=rows, scenario=scenario, seed=seed, attributes=attributes)
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out, index=False)
        self.stdout.write(summarize(frame))
        self.stdout.write(self.style.SUCCESS(f"wrote {len(frame):,} rows to {out}"))
