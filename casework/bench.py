"""A desk at scale in a scratch database, for the queue benchmarks (`manage.py bench_queue`,
`make bench`): N returns seeded with set-based SQL, one in K an open case, and a reviewer.

Returns arrive one a second, so the last day holds 86,400 decisions: a desk at about 100k a day.
"""

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from core.constants import GROUP_REVIEWER
from core.services.api_clients import api_client_create
from scoring.models import ModelVersion
from scoring.services.policies import policy_version_current

SEED_SQL = """
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
       CASE WHEN g %% %(every)s = 0 THEN 'in_review' ELSE 'decided' END,
       CASE WHEN g %% %(every)s = 0 THEN NULL ELSE 'approved' END, 0, '', false, '', '{}'
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


def queue_bench_seed(*, returns: int, case_every: int):
    """Seeds the scratch database; returns the reviewer and the seconds seeding took."""
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
    return reviewer, time.monotonic() - started
