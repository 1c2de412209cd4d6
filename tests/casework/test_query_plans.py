"""At scale, the queue, case and feed pages keep their statement counts, and PostgreSQL reads
none of the tables with a row per return whole (or half of one): each goes through an index,
or stops early under its LIMIT."""

import pytest
from django.test import Client
from django.urls import reverse

from casework.bench import LARGE_TABLES, pages_plans, queue_bench_seed
from casework.models import ReviewCase

pytestmark = pytest.mark.django_db

# Large enough that a plan reading a table whole costs more than its index would, so the
# planner's choice shows; `make bench` checks the same plans at 1,000,000.
RETURNS = 60_000
# The tables with a row per return. The cases table is left to `make bench`: here it holds
# 12,000 rows, a quarter of them open, and reading it whole is as fair a plan for the open ones
# as its partial index, so PostgreSQL picks either from one run to the next.
PER_RETURN = LARGE_TABLES - {ReviewCase._meta.db_table}


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

    reads = {
        name: [str(read) for read in p.whole_table_reads if read.table in PER_RETURN]
        for name, p in plans.items()
    }
    assert reads == dict.fromkeys(plans, [])
    assert {name: p.queries for name, p in plans.items()} == {
        "queue page": 10,
        # Its reason counts are counted, capped, rather than read from the tally.
        "queue page, Electronics over $500": 11,
        "case page": 16,
        "decisions feed, two pages": 4,
    }
