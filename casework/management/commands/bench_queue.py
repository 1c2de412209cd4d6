"""Benchmarks the review queue at scale in a scratch database: page loads and next-case claims.

Seeds N returns (a share of them open cases) with set-based SQL, then times what a reviewer
does most: the first queue page, a filtered page, a second page by cursor, and claiming the
next case; and the one read every scoring batch makes, the OOD flag count of the last day.
Prints milliseconds (median of repeats) and the query count of each.

Returns arrive one a second, so the last day holds 86,400 decisions: a desk at about 100k a day.
"""

import statistics
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.selectors import QueueFilters, case_queue_for
from casework.services.review import case_claim_next
from core.constants import GROUP_REVIEWER
from core.scratch_db import scratch_database
from core.services.api_clients import api_client_create
from scoring.constants import OOD_RATE_WINDOW_HOURS
from scoring.models import ModelVersion
from scoring.selectors import ood_flags_since
from scoring.services.policies import policy_version_current

SEED_SQL = """
INSERT INTO intake_customer (client_id, external_id, created_at)
SELECT %(client)s, 'BENCH-' || g, now() FROM generate_series(1, %(customers)s) g;

INSERT INTO intake_returnrequest (
    client_id, order_id, customer_id, order_value, currency, product_category, payment_method,
    return_ratio, returns_velocity_30d, days_since_purchase, derived_fields, submitted_at,
    received_at, payload_hash, status, outcome, decide_attempts, decide_error, is_audit_sample,
    request_id)
SELECT %(client)s, 'B-' || g,
       (SELECT min(id) FROM intake_customer WHERE client_id = %(client)s) + g %% %(customers)s,
       round((random() * 900 + 5)::numeric, 2), 'USD',
       (ARRAY['Electronics','Clothing','Home & Garden','Beauty','Toys'])[1 + g %% 5],
       (ARRAY['Credit Card','Debit Card','PayPal','Gift Card'])[1 + g %% 4],
       random() * 0.6, g %% 4, 1 + g %% 40, '[]', now() - (g || ' seconds')::interval,
       now() - (g || ' seconds')::interval, md5(g::text),
       CASE WHEN g %% %(every)s = 0 THEN 'in_review' ELSE 'decided' END,
       CASE WHEN g %% %(every)s = 0 THEN NULL ELSE 'approved' END, 0, '', false, ''
FROM generate_series(1, %(returns)s) g;

INSERT INTO scoring_decision (
    return_request_id, action, fraud_probability, probability_used, ood_score, ood_threshold,
    ood, cost_approve, cost_reject, cost_review, reasons, contributions, booked_loss, budget,
    prices, model_version_id, policy_version_id, decided_at)
SELECT r.id, CASE WHEN r.status = 'in_review' THEN 'review' ELSE 'approve' END,
       0.2, 0.2, 1.0, 9.0, r.id %% 50 = 0, round(r.order_value * 0.2, 2), 160.00, 50.00,
       '[{"code": "uncertain", "text": "bench"}]', '[]', 0, 50.00, '{}',
       %(model)s, %(policy)s, r.received_at
FROM intake_returnrequest r;

INSERT INTO casework_reviewcase (
    return_request_id, decision_id, status, priority, reason_codes, created_at)
SELECT d.return_request_id, d.id, 'open', least(d.cost_approve, d.cost_reject) - 50,
       '["uncertain"]', d.decided_at
FROM scoring_decision d WHERE d.action = 'review';
ANALYZE;
"""


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
        client, _ = api_client_create(name="bench", role="submitter")
        reviewer = get_user_model().objects.create_user(username="bench-reviewer")
        reviewer.groups.add(Group.objects.get(name=GROUP_REVIEWER))
        model = ModelVersion.objects.create(
            version="bench",
            artifact_dir="bench",
            artifact_hashes={},
            feature_schema={},
            training_data="none",
            training_data_hash="",
            code_version="bench",
            metrics={},
        )
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(
                SEED_SQL,
                {
                    "customers": max(returns // 2, 1),
                    "client": client.pk,
                    "returns": returns,
                    "every": case_every,
                    "model": model.pk,
                    "policy": policy_version_current().pk,
                },
            )
        self.stdout.write(
            f"seeded {returns:,} synthetic returns (SQL, no data files), "
            f"{returns // case_every:,} open cases "
            f"in {time.monotonic() - started:.0f}s"
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
            "OOD flags, last 24 h (per batch)": lambda: ood_flags_since(
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
