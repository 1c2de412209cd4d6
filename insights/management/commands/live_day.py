"""Runs a day of live traffic from a labelled CSV against a running desk and prices it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from insights.live_day import LiveDayError, LiveDayProgress, live_day_rows_read, live_day_run
from intake.constants import BATCH_LIMIT
from intake.selectors import attribute_types_declared


class Command(BaseCommand):
    help = (
        "Submit a labelled returns CSV to a running desk through its HTTP API as one day, in "
        "batches, while a test reviewer works the queue with the file's labels (holding the "
        "customer on every fraud verdict); then print the day's realized cost per return in "
        "the peer's cost model against approving everything, the share reviewed, returns that "
        "joined an open case, the peak queue and the throughput. Keys come from "
        "`manage.py create_api_client NAME --role submitter` and `--role reviewer`. The run "
        "needs the desk's day to itself (review capacity is per day; customers keep their "
        "ledgers and holds): use a desk with no other traffic today, e.g. `make reset-var` "
        "then `DEMO=0 make run`. A day ten times the file's volume: --scale 10."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the desk's base URL")
        parser.add_argument("--submitter-key", required=True)
        parser.add_argument("--reviewer-key", required=True)
        parser.add_argument(
            "--data", type=Path, required=True, help="CSV of the shared columns with is_fraud"
        )
        parser.add_argument(
            "--batch", type=int, default=100, help=f"returns per POST, 1–{BATCH_LIMIT:,}"
        )
        parser.add_argument(
            "--review-every",
            type=int,
            help="the reviewer works the queue after every this many returns "
            "(default: after every batch)",
        )
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help="submit the file this many times over, with fresh order and customer ids",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=300.0,
            help="seconds without a new decision before giving up waiting (default 300)",
        )

    def handle(
        self,
        *args,
        url,
        submitter_key,
        reviewer_key,
        data,
        batch,
        review_every,
        scale,
        timeout,
        **options,
    ):
        problems = [
            f"{option} must be at least 1"
            for option, value in (
                ("--batch", batch),
                ("--review-every", review_every),
                ("--scale", scale),
            )
            if value is not None and value < 1
        ]
        if batch > BATCH_LIMIT:
            problems.append(f"--batch must be at most {BATCH_LIMIT:,}")
        if not timeout > 0:
            problems.append("--timeout must be positive")
        if problems:
            raise CommandError("; ".join(problems))
        if not data.is_file():
            raise CommandError(f"no such file: {data}")
        try:
            # Typed as the desk declares its attributes, as import_returns types them.
            rows = live_day_rows_read(
                path=data, scale=scale, attribute_types=attribute_types_declared()
            )
            with tqdm(total=len(rows), unit="return", desc="submitting") as bar:

                def progress(state: LiveDayProgress) -> None:
                    bar.set_description(state.phase)
                    bar.update(state.decided - bar.n)
                    bar.set_postfix(
                        submitted=state.submitted,
                        queue=state.open_cases,
                        reviewed=state.resolved_cases,
                        refresh=False,
                    )

                result = live_day_run(
                    url=url,
                    submitter_key=submitter_key,
                    reviewer_key=reviewer_key,
                    rows=rows,
                    batch_size=batch,
                    review_every=review_every,
                    timeout=timeout,
                    progress=progress,
                )
        except LiveDayError as exc:
            raise CommandError(str(exc)) from exc
        label = data.name + (f" ×{scale}" if scale > 1 else "")
        self.stdout.write(result.format_line(label=label))
        for example in result.invalid_examples:
            self.stdout.write(f"  invalid {example['order_id']}: {example['errors']}")
        if not result.returns:
            raise CommandError("no row of the file was accepted")
        if result.pending_left or result.open_cases_left:
            raise CommandError(
                f"{result.pending_left:,} returns still pending and {result.open_cases_left:,} "
                "cases open when waiting ended: the figures above are not the whole day's"
            )
