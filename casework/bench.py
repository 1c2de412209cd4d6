"""A desk at scale in a scratch database, for the queue benchmarks (`manage.py bench_queue`,
`make bench`): N returns seeded with set-based SQL, each decided and in the decisions feed, one
in K an open case and three in K a case resolved before (the history a desk keeps), and a
reviewer; and the plans PostgreSQL makes there for the pages.

Returns arrive one a second, so the last day holds 86,400 decisions: a desk at about 100k a day.
"""

import json
import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework.models import FeedEvent, ReviewCase
from casework.selectors import DECISION_HOURS_COUNTED_SQL, feed_events_after
from core.constants import GROUP_REVIEWER
from core.services.api_clients import api_client_create
from intake.models import Customer, ReturnRequest
from scoring.models import Decision, ModelVersion
from scoring.services.policies import policy_version_current

SEED_SQL = (
    """
INSERT INTO intake_customer (client_id, external_id, created_at)
SELECT %(client)s, 'BENCH-' || g, now() FROM generate_series(1, %(customers)s) g;

INSERT INTO intake_returnrequest (
    client_id, order_id, customer_id, order_value, currency, product_category, payment_method,
    return_ratio, returns_velocity_30d, days_since_purchase, derived_fields, submitted_at,
    received_at, payload_hash, status, outcome, decide_attempts, decide_error, is_audit_sample,
    request_id, attributes)
SELECT %(client)s, 'B-' || g,
       (SELECT min(id) FROM intake_customer WHERE client_id = %(client)s) + g %% %(customers)s,
       round((random() * 900 + 5)::numeric, 2), 'USD',
       (ARRAY['Electronics','Clothing','Home & Garden','Beauty','Toys'])[1 + g %% 5],
       (ARRAY['Credit Card','Debit Card','PayPal','Gift Card'])[1 + g %% 4],
       random() * 0.6, g %% 4, 1 + g %% 40, '[]', now() - (g || ' seconds')::interval,
       now() - (g || ' seconds')::interval, md5(g::text),
       CASE WHEN g %% %(every)s = 0 THEN 'in_review'
            WHEN g %% %(every)s IN (%(every)s / 4, %(every)s / 2, 3 * %(every)s / 4)
                THEN 'resolved'
            ELSE 'decided' END,
       CASE WHEN g %% %(every)s = 0 THEN NULL ELSE 'approved' END, 0, '', false, '', '{}'
FROM generate_series(1, %(returns)s) g;

INSERT INTO scoring_decision (
    return_request_id, action, fraud_probability, probability_used, ood_score, ood_threshold,
    ood, cost_approve, cost_reject, cost_review, reasons, contributions, booked_loss, budget,
    prices, model_version_id, policy_version_id, decided_at)
SELECT r.id, CASE WHEN r.status = 'decided' THEN 'approve' ELSE 'review' END,
       0.2, 0.2, 1.0, 9.0, r.id %% 50 = 0, round(r.order_value * 0.2, 2), 160.00, 50.00,
       '[{"code": "uncertain", "text": "bench"}]', '[]', 0, 50.00, '{}',
       %(model)s, %(policy)s, r.received_at
FROM intake_returnrequest r;

INSERT INTO casework_reviewcase (
    return_request_id, decision_id, status, priority, reason_codes, created_at, resolved_at)
SELECT d.return_request_id, d.id, CASE WHEN r.status = 'in_review' THEN 'open' ELSE 'resolved' END,
       least(d.cost_approve, d.cost_reject) - 50, '["uncertain"]', d.decided_at,
       CASE WHEN r.status = 'resolved' THEN d.decided_at + interval '1 hour' END
FROM scoring_decision d JOIN intake_returnrequest r ON r.id = d.return_request_id
WHERE d.action = 'review';

INSERT INTO casework_feedevent (return_request_id, kind, created_at)
SELECT r.id, 'decision', r.received_at FROM intake_returnrequest r ORDER BY r.id;

-- Counting the hours joins the tables just filled: without their statistics the planner takes
-- them for empty and joins cases to decisions by scanning one for each row of the other.
ANALYZE;

INSERT INTO scoring_decisionhour (
    hour, decided, approved, ood_flagged, cases_opened, audit_cases_opened)
"""
    + DECISION_HOURS_COUNTED_SQL
    + """;
ANALYZE;
"""
)


def queue_bench_seed(*, returns: int, case_every: int):
    """Seeds the scratch database; returns the reviewer, the returns' API client and the
    seconds seeding took."""
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
    return reviewer, client, time.monotonic() - started


# The tables holding a row per return or more: a plan that reads one of them whole slows down
# as the desk grows, however quick it is today.
LARGE_TABLES = {
    model._meta.db_table for model in (ReturnRequest, Customer, Decision, ReviewCase, FeedEvent)
}


@dataclass(frozen=True)
class TableRead:
    """A scan that read half a large table or more."""

    table: str
    read: float
    rows: float
    statement: str

    def __str__(self):
        return f"{self.table}, {self.read:,.0f} of {self.rows:,.0f} rows ({self.statement[:50]}…)"


@dataclass(frozen=True)
class PagePlans:
    queries: int
    whole_table_reads: list[TableRead]


def statements_plans(statements: list[str]) -> list[TableRead]:
    """The large tables the SELECTs among `statements` read whole, or half or more of: each is
    run under EXPLAIN (ANALYZE, FORMAT JSON), and each sequential scan of a large table is
    measured by the rows it read (returned and filtered out, over its loops) against the
    table's. A scan under a LIMIT that stops early reads a little of its table, and passes."""
    found = []
    with connection.cursor() as cursor:
        for sql in statements:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            for node in _plan_nodes(plan[0]["Plan"]):
                table = node.get("Relation Name")
                if "Seq Scan" not in node["Node Type"] or table not in LARGE_TABLES:
                    continue
                read = (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node[
                    "Actual Loops"
                ]
                cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
                rows = cursor.fetchone()[0]
                if read >= rows / 2:
                    found.append(TableRead(table=table, read=read, rows=rows, statement=sql))
    return found


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def pages_plans(*, browser, urls: dict[str, str], client) -> dict[str, PagePlans]:
    """Each page's statements (`urls`, loaded with the signed-in test `browser`) and the feed's
    first two pages for `client`: how many, and which large tables they read whole."""
    captured = {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as queries:
            response = browser.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        captured[name] = [query["sql"] for query in queries.captured_queries]
    with CaptureQueriesContext(connection) as queries:
        _, cursor = feed_events_after(client=client, cursor=None, limit=100)
        feed_events_after(client=client, cursor=cursor, limit=100)
    captured["decisions feed, two pages"] = [query["sql"] for query in queries.captured_queries]
    return {
        name: PagePlans(queries=len(statements), whole_table_reads=statements_plans(statements))
        for name, statements in captured.items()
    }
