"""Writes a synthetic returns CSV for a scenario, reproducibly by seed."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ml.generate import SCENARIOS, generate_returns, summarize


class Command(BaseCommand):
    help = "Generate synthetic returns (with fraud patterns) to a CSV file."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, required=True)
        parser.add_argument("--scenario", choices=SCENARIOS, default="normal")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", type=Path, required=True)

    def handle(self, *args, rows, scenario, seed, out, **options):
        if rows < 1:
            raise CommandError("--rows must be at least 1")
        if out.is_dir():
            raise CommandError(f"--out {out} is a directory; name the CSV file to write")
        frame = generate_returns(rows=rows, scenario=scenario, seed=seed)
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out, index=False)
        self.stdout.write(summarize(frame))
        self.stdout.write(self.style.SUCCESS(f"wrote {len(frame):,} rows to {out}"))
