"""At scale, the queue, case and feed pages keep their statement counts, and PostgreSQL reads
none of the large tables whole (or half of one) for them: each goes through an index, or stops
early under its LIMIT."""

import pytest
from django.test import Client
from django.urls import reverse

from casework.bench import pages_plans, queue_bench_seed
from casework.models import ReviewCase

pytestmark = pytest.mark.django_db

# Large enough that a plan reading a table whole costs more than its index would, so the
# planner's choice shows; `make bench` checks the same plans at 1,000,000.
RETURNS = 60_000


def test_the_pages_statements_use_indexes_at_scale():
    reviewer, client, _ = queue_bench_seed(returns=RETURNS, case_every=20)
    browser = Client()
    browser.force_login(reviewer)
    queue = reverse("casework:queue")
    case = ReviewCase.objects.exclude(status="resolved").order_by("-priority").first()

    plans = pages_plans(
        browser=browser,
        urls={
            "queue page": queue,
            "queue page, Electronics over $500": f"{queue}?category=Electronics&value_min=500",
            "case page": reverse("casework:case", args=[case.pk]),
        },
        client=client,
    )

    assert {name: p.whole_table_reads for name, p in plans.items()} == dict.fromkeys(plans, [])
    assert {name: p.queries for name, p in plans.items()} == {
        "queue page": 10,
        # Its reason counts are counted, capped, rather than read from the tally.
        "queue page, Electronics over $500": 11,
        "case page": 16,
        "decisions feed, two pages": 4,
    }
