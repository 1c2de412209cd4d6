"""Benchmarks the review queue at scale in a scratch database: page loads and next-case claims.

Seeds N returns (a share of them open cases) with set-based SQL, then times what a reviewer
does most: the first queue page, a filtered page, a second page by cursor, and claiming the
next case; and the one read every scoring batch makes, the OOD flag count of the last day.
Prints milliseconds (median of repeats) and the query count of each.
"""

import statistics
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.bench import queue_bench_seed
from casework.selectors import QueueFilters, case_queue_for
from casework.services.review import case_claim_next
from core.scratch_db import scratch_database
from scoring.constants import OOD_RATE_WINDOW_HOURS
from scoring.selectors import decisions_since


class Command(BaseCommand):
    help = "Time the review queue and next-case claims on N seeded returns (scratch database)."

    def add_arguments(self, parser):
        parser.add_argument("--returns", type=int, default=1_000_000)
        parser.add_argument("--case-every", type=int, default=20, help="one case per K returns")
        parser.add_argument("--repeat", type=int, default=7)

    def handle(self, *args, returns, case_every, repeat, **options):
        if min(returns, case_every, repeat) < 1:
            raise CommandError("--returns, --case-every and --repeat must each be at least 1")
        with scratch_database(purpose="bench", say=self.stdout.write):
            self._run(returns=returns, case_every=case_every, repeat=repeat)

    def _run(self, *, returns, case_every, repeat):
        reviewer, _, seconds = queue_bench_seed(returns=returns, case_every=case_every)
        self.stdout.write(
            f"seeded {returns:,} synthetic returns (SQL, no data files), "
            f"{returns // case_every:,} open cases in {seconds:.0f}s"
        )
        first = case_queue_for(reviewer=reviewer, filters=QueueFilters(), cursor=None)
        scenarios = {
            "queue, first page": lambda: case_queue_for(
                reviewer=reviewer, filters=QueueFilters(), cursor=None
            ),
            "queue, second page": lambda: case_queue_for(
                reviewer=reviewer, filters=QueueFilters(), cursor=first.next_cursor
            ),
            "queue, Electronics over $500": lambda: case_queue_for(
                reviewer=reviewer,
                filters=QueueFilters(category="Electronics", value_min=500),
                cursor=None,
            ),
            "queue, search by order id": lambda: case_queue_for(
                reviewer=reviewer, filters=QueueFilters(q=f"B-{case_every * 7}"), cursor=None
            ),
            "next case (claim)": lambda: case_claim_next(actor=reviewer),
            "OOD flags, last 24 h (per batch)": lambda: decisions_since(
                since=timezone.now() - timedelta(hours=OOD_RATE_WINDOW_HOURS)
            ),
        }
        self.stdout.write(
            f"{'operation':<32}{'median ms':>10}{'max ms':>10}{'queries':>9}{'slowest ms':>12}"
        )
        for name, operation in scenarios.items():
            timings = []
            for _ in range(repeat):
                with CaptureQueriesContext(connection) as queries:
                    began = time.perf_counter()
                    operation()
                    timings.append((time.perf_counter() - began) * 1000)
            slowest = max(float(query["time"]) for query in queries.captured_queries) * 1000
            self.stdout.write(
                f"{name:<32}{statistics.median(timings):>10.1f}{max(timings):>10.1f}"
                f"{len(queries):>9}{slowest:>12.1f}"
            )
