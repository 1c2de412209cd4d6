"""Backtests a labelled CSV through the live decision code in a scratch database."""

import csv
import dataclasses
import json
import time
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.scratch_db import scratch_database
from insights.services.replay import (
    REVIEW_EVERY,
    ReplayOverrides,
    replay_model_copy,
    replay_rows_read,
    replay_rules_read,
    replay_run,
    replay_start,
)
from scoring.models import ModelVersion
from scoring.policy import usd
from scoring.services.models import model_version_load


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
            "--audit-reviews-per-day",
            type=int,
            default=0,
            help="reviews a day spent on a random sample of would-be approvals (default 0)",
        )
        parser.add_argument("--reviewer", choices=("oracle", "none"), default="oracle")
        parser.add_argument(
            "--per-day",
            type=int,
            help="spread a file without submitted_at over days, this many a day "
            "(default: the whole file is one day)",
        )
        parser.add_argument(
            "--review-every",
            type=int,
            default=REVIEW_EVERY,
            help="the reviewer works the queue after every this many returns, which are decided "
            f"together as a worker's batch (default {REVIEW_EVERY}; 1 is a reviewer always ahead)",
        )
        parser.add_argument("--review-capacity", type=int, help="reviews a day may open")
        parser.add_argument(
            "--rules",
            type=Path,
            help="a JSON file of rules (a list of {name, when, effect[, mode]}): the file is "
            "replayed without them and with them, and the difference reported",
        )
        parser.add_argument("--model", help="model version (default: the active one)")
        parser.add_argument("--out", type=Path)

    def handle(self, *args, data, reviewer, per_day, review_every, model, out, rules, **options):
        if not data.is_file():
            raise CommandError(f"no such file: {data}")
        if rules is not None:
            try:
                rules = replay_rules_read(rules)
            except ValueError as exc:
                raise CommandError(f"--rules {exc}") from exc
        self._check_options(per_day=per_day, review_every=review_every, **options)
        if out is not None:
            if out.exists() and not out.is_dir():
                raise CommandError(f"--out {out} is a file, not a directory")
            out.mkdir(parents=True, exist_ok=True)
        try:
            total = len(replay_rows_read(data))  # a bad file is refused before any work
        except (ValueError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"{data}: {exc}") from exc
        live = ModelVersion.objects.filter(**({"version": model} if model else {"is_active": True}))
        model_version = live.first()
        if model_version is None:
            raise CommandError("no such model version" if model else "no active model version")
        bundle = model_version_load(model_version)
        # Every override has an option of the same name, so none can be left out here.
        overrides = ReplayOverrides(
            **{field.name: options[field.name] for field in dataclasses.fields(ReplayOverrides)}
        )
        started = time.monotonic()
        arguments = {
            "data": data,
            "model_version": model_version,
            "bundle": bundle,
            "overrides": overrides,
            "oracle": reviewer == "oracle",
            "per_day": per_day,
            "review_every": review_every,
            "start": replay_start(total, per_day),
        }
        if rules is None:
            result = self._replay(total=total, **arguments)
        else:
            # The same file without the rules, then with them, each in a fresh database.
            baseline = self._replay(total=total, label="without the rules", **arguments)
            result = self._replay(total=total, label="with the rules", rules=rules, **arguments)
            result.summary["without_rules"] = {
                key: baseline.summary[key]
                for key in ("realized_cost", "realized_cost_per_return", "action_mix")
            }
        self.stdout.write(format_summary(result.summary))
        if rules is not None:
            self.stdout.write(format_rules(result.summary))
        self.stdout.write(f"finished in {time.monotonic() - started:.1f}s")
        if out:
            (out / "summary.json").write_text(json.dumps(result.summary, indent=2) + "\n")
            with (out / "decisions.csv").open("w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(result.rows[0]))
                writer.writeheader()
                writer.writerows(result.rows)
            self.stdout.write(f"wrote {out / 'summary.json'} and {out / 'decisions.csv'}")

    def _replay(self, *, total, model_version, label="replaying", **arguments):
        with scratch_database(purpose="replay", say=self.stdout.write):
            scratch_model = replay_model_copy(model_version)
            with tqdm(total=total, unit="return", desc=label) as bar:
                return self._run(model_version=scratch_model, progress=bar.update, **arguments)

    @staticmethod
    def _run(**arguments):
        try:
            return replay_run(**arguments)
        except ValueError as exc:  # rows the intake refused, named with the first of them
            raise CommandError(str(exc)) from exc

    @staticmethod
    def _check_options(*, per_day, review_every, **options):
        problems = []
        if per_day is not None and per_day < 1:
            problems.append("--per-day must be at least 1")
        if review_every < 1:
            problems.append("--review-every must be at least 1")
        if options.get("review_capacity") is not None and options["review_capacity"] < 0:
            problems.append("--review-capacity must not be negative")
        for name in ("false_reject_cost", "review_cost", "budget", "portfolio_budget"):
            if options.get(name) is not None and not options[name] >= 0:
                problems.append(f"--{name.replace('_', '-')} must not be negative")
        probability = options.get("ood_fraud_probability")
        if probability is not None and not 0 <= probability <= 1:
            problems.append("--ood-probability must be between 0 and 1")
        if options.get("audit_reviews_per_day", 0) < 0:
            problems.append("--audit-reviews-per-day must not be negative")
        if options.get("window_days") is not None and options["window_days"] < 1:
            problems.append("--window-days must be at least 1")
        if options.get("hold_velocity") is not None and options["hold_velocity"] < 0:
            problems.append("--hold-velocity must not be negative")
        if problems:
            raise CommandError("; ".join(problems))


def format_summary(summary: dict) -> str:
    mix = summary["action_mix"]
    n = summary["returns"]
    split = summary["cost_split"]
    ring = summary["ring"]
    lines = [
        f"returns {n:,}, fraud rate {summary['fraud_rate']:.1%}",
        "action mix: " + ", ".join(f"{a} {c:,} ({c / n:.1%})" for a, c in mix.items()),
        f"realized cost {usd(Decimal(str(round(summary['realized_cost'], 2))))}: "
        f"fraud loss {split['fraud_loss']:,.2f}, reviews {split['review_cost']:,.2f}, "
        f"false rejects {split['false_reject_cost']:,.2f}",
        f"fraud approved: {summary['fraud_approved']['count']:,} returns worth "
        f"{summary['fraud_approved']['value']:,.2f}",
        "cost per return:",
        f"  this policy     {summary['realized_cost_per_return']:8.2f}",
        f"  approve all     {summary['approve_all_cost_per_return']:8.2f}",
        f"  reference design{summary['reference_cost_per_return']:8.2f}",
        f"customers held: {summary['holds']}",
        f"reviews opened {summary['reviews_opened']:,} "
        f"({summary['reviews_opened'] / n:.1%} of returns), "
        f"{summary['joined_open_case']:,} more returns joined an open case; "
        f"busiest day {max(summary['reviews_per_day'].values(), default=0):,} "
        f"of capacity {summary['review_capacity']:,}; "
        f"peak queue {summary.get('peak_queue', 0):,}",
    ]
    if ring["returns"]:
        lines.append(
            f"mimicry ring: {ring['returns']} returns worth {ring['value']:,.2f} cost "
            f"{ring['cost']:,.2f} ({ring['mix']})"
        )
    lines.append(
        "leading reasons: "
        + ", ".join(f"{code} {count:,}" for code, count in summary["leading_reasons"].items())
    )
    return "\n".join(lines)


def format_rules(summary: dict) -> str:
    n = summary["returns"]
    before = summary["without_rules"]["realized_cost_per_return"]
    after = summary["realized_cost_per_return"]
    lines = ["rules:"]
    for rule in summary["rules"]:
        lines.append(
            f"  {rule['name']}{' (shadow)' if rule['shadow'] else ''}: {rule['hits']:,} hits "
            f"worth {rule['value']:,.2f} ({rule['frauds']} frauds), decided {rule['mix']}, "
            f"realized cost {rule['cost']:,.2f}"
        )
    if not summary["rules"]:
        lines.append("  no rule held for any return")
    lines.append(
        f"cost per return without the rules {before:.2f}, with them {after:.2f}: "
        f"{'worse' if after > before else 'better' if after < before else 'no change'} by "
        f"{abs(after - before):.4f} ({abs(after - before) * n:,.2f} over {n:,} returns)"
    )
    return "\n".join(lines)
