"""Times single returns from submission to a visible decision, through a running desk's API."""

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from insights.bench import single_return_latencies
from insights.live_day import LiveDayError


class Command(BaseCommand):
    help = (
        "Submit single returns one after another to a running desk (POST /api/v1/returns, then "
        "GET /api/v1/returns/{id}?wait=) and print the p50 / p90 / p99 time from the POST to "
        "the decision in hand, as a retailer's checkout would wait for it, and the median of each "
        "step on the way (read from the desk's database). Every return is a "
        "new customer's ordinary one, so each is decided, none joins a case. The key comes "
        "from `manage.py create_api_client NAME --role submitter`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the desk's base URL")
        parser.add_argument("--submitter-key", required=True)
        parser.add_argument("--count", type=int, default=200, help="returns to time, in a row")

    def handle(self, *args, url, submitter_key, count, **options):
        if count < 1:
            raise CommandError("--count must be at least 1.")
        try:
            timings, undecided, steps = single_return_latencies(
                url=url, key=submitter_key, count=count
            )
        except LiveDayError as exc:
            raise CommandError(str(exc)) from exc
        p50, p90, p99 = np.percentile(timings, [50, 90, 99])
        self.stdout.write(
            f"{count} returns, one at a time: submit → decision p50 {p50:.0f} ms, "
            f"p90 {p90:.0f} ms, p99 {p99:.0f} ms, max {max(timings):.0f} ms"
            + (f"; {undecided} not decided within the wait" if undecided else "")
        )
        self.stdout.write(
            "where the time goes (medians): "
            + "; ".join(f"{step} {ms:.0f} ms" for step, ms in steps.items())
        )
