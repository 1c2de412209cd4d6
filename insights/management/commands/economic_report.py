"""Writes the economic report's charts (PNG) and figures (CSV), live or from a replay."""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from insights.charts import report_charts
from insights.reports import economic_report_for, economic_report_from_replay


class Command(BaseCommand):
    help = (
        "Write the economic report as PNG charts and CSV tables: cumulative cost against "
        "approve-all, decision mix, cost breakdown, budget breaches and holds, scores by "
        "decision, review queue, reviews opened per day against capacity, constraint prices. "
        "From the live decisions, or from a replay's --out directory."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, required=True, help="directory to write to")
        parser.add_argument("--days", type=int, default=30, help="live: the last N days")
        parser.add_argument(
            "--replay", type=Path, help="a `replay --out` directory (decisions.csv, summary.json)"
        )
        parser.add_argument(
            "--per-day", type=int, default=1000, help="replay: returns a period (its --per-day)"
        )

    def handle(self, *args, out, days, replay, per_day, **options):
        if out.exists() and not out.is_dir():
            raise CommandError(f"--out {out} is a file, not a directory")
        if per_day < 1:
            raise CommandError("--per-day must be at least 1")
        if replay is not None:
            missing = [n for n in ("decisions.csv", "summary.json") if not (replay / n).exists()]
            if missing:
                raise CommandError(f"{replay} has no {' or '.join(missing)}")
            try:
                report = economic_report_from_replay(directory=replay, per_period=per_day)
            except (ValueError, KeyError) as exc:  # JSONDecodeError is a ValueError
                raise CommandError(f"{replay} is not a readable replay: {exc}") from exc
        else:
            if days < 1:
                raise CommandError("--days must be at least 1")
            report = economic_report_for(days=days)
        out.mkdir(parents=True, exist_ok=True)
        for name, png in report_charts(report).items():
            (out / f"{name}.png").write_bytes(png)
        for name, rows in report.tables().items():
            with (out / f"{name}.csv").open("w", newline="") as handle:
                if rows:
                    writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                    writer.writeheader()
                    writer.writerows(rows)
        totals = report.totals
        self.stdout.write(f"{report.title}: {report.returns:,} returns")
        self.stdout.write(report.basis)
        self.stdout.write(
            f"this policy ${totals['policy_cost']:,.2f}, approve all "
            f"${totals['approve_all_cost']:,.2f}, saving ${totals['saving_vs_approve_all']:,.2f}"
        )
        self.stdout.write(f"wrote charts and tables to {out}")
