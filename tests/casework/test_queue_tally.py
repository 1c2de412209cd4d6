"""The queue tally: the triggers' running counts agree with counting the open cases."""

import random
from decimal import Decimal

import pytest
from django.db.models import Q

from casework.choices import CaseStatus
from casework.constants import TALLY_ALL
from casework.models import QueueTally, ReviewCase
from casework.selectors import QUEUE_REASONS, QueueFilters, case_queue_for, queue_tallies
from casework.services.queue_tallies import queue_tallies_fold
from scoring.choices import ReasonCode
from tests.casework.conftest import claimed, make_case

pytestmark = pytest.mark.django_db

# The queue tab each reason code files a case under; the rest are on no tab but All.
TAB_OF_CODE = {
    ReasonCode.OOD_PESSIMISTIC: "ood",
    ReasonCode.OOD_UNSEEN_VALUE: "ood",
    ReasonCode.OOD_OUT_OF_RANGE: "ood",
    ReasonCode.OOD_ANOMALY: "ood",
    ReasonCode.BUDGET_EXCEEDED: "budget",
    ReasonCode.PORTFOLIO_BUDGET_EXCEEDED: "budget",
    ReasonCode.UNCERTAIN: "uncertain",
    ReasonCode.CUSTOMER_HOLD: "hold",
    ReasonCode.AUDIT_SAMPLE: "audit",
}
CATEGORIES = ("Electronics", "Clothing", "Toys")
METHODS = ("Credit Card", "PayPal")


def reasons(*codes):
    return [{"code": code, "text": code} for code in codes]


def counted(**where) -> dict[str, int]:
    """What the tally should say: the open cases counted one by one, per tab."""
    open_cases = ReviewCase.objects.exclude(status=CaseStatus.RESOLVED).filter(**where)
    counts = {key: open_cases.filter(q).count() for key, (_, q) in QUEUE_REASONS.items()}
    return {TALLY_ALL: open_cases.count(), **counts}


def tallied(category=None, method=None) -> dict[str, int]:
    totals = dict.fromkeys([TALLY_ALL, *QUEUE_REASONS], 0)
    for (reason, row_category, row_method), n in queue_tallies().items():
        if category in (None, row_category) and method in (None, row_method):
            totals[reason] += n
    return totals


def assert_tally_matches():
    assert tallied() == counted()
    for category in CATEGORIES:
        for method in METHODS:
            where = {
                "return_request__product_category": category,
                "return_request__payment_method": method,
            }
            assert tallied(category, method) == counted(**where), (category, method)


@pytest.mark.parametrize("code", list(ReasonCode))
def test_every_reason_code_is_filed_under_its_tab_and_all(code):
    make_case(reasons=reasons(code, ReasonCode.EXPECTED_COST))

    tabs = {reason for (reason, _, _), n in queue_tallies().items() if n}

    assert tabs == {TALLY_ALL} | ({TAB_OF_CODE[code]} if code in TAB_OF_CODE else set())
    assert counted()[TAB_OF_CODE.get(code, TALLY_ALL)] == 1


def test_the_tally_follows_cases_opening_claimed_resolved_reopened_rereasoned_and_deleted(
    reviewer,
):
    rng = random.Random(7)
    codes = [*TAB_OF_CODE, ReasonCode.EXPECTED_COST]
    cases = [
        make_case(
            reasons=reasons(*rng.sample(codes, rng.randint(1, 3))),
            product_category=rng.choice(CATEGORIES),
            payment_method=rng.choice(METHODS),
        )
        for _ in range(40)
    ]
    assert_tally_matches()

    for step in range(60):
        case = rng.choice(cases)
        change = rng.choice(["claim", "resolve", "reopen", "rereason", "bulk_resolve", "fold"])
        if change == "claim":
            claimed(case, reviewer)
        elif change == "resolve":
            ReviewCase.objects.filter(pk=case.pk).update(status=CaseStatus.RESOLVED)
        elif change == "reopen":
            ReviewCase.objects.filter(pk=case.pk).update(status=CaseStatus.OPEN)
        elif change == "rereason":
            new_codes = [c["code"] for c in reasons(*rng.sample(codes, 2))]
            ReviewCase.objects.filter(pk=case.pk).update(reason_codes=new_codes)
        elif change == "bulk_resolve":
            ReviewCase.objects.filter(pk__in=[c.pk for c in rng.sample(cases, 5)]).update(
                status=CaseStatus.RESOLVED
            )
        else:
            queue_tallies_fold()
        assert_tally_matches(), (step, change)

    doomed = [c.pk for c in cases[:10]]
    ReviewCase.objects.filter(pk__in=doomed).delete()
    assert_tally_matches()


def test_folding_keeps_every_sum_and_leaves_one_row_per_key():
    for category in CATEGORIES:
        for _ in range(3):
            make_case(reasons=reasons(ReasonCode.UNCERTAIN), product_category=category)
    before = queue_tallies()

    rows = queue_tallies_fold()

    assert queue_tallies() == before
    assert rows == QueueTally.objects.count() == len(before)


def test_resolving_every_case_folds_the_tally_to_nothing():
    make_case(reasons=reasons(ReasonCode.AUDIT_SAMPLE))
    ReviewCase.objects.update(status=CaseStatus.RESOLVED)

    assert queue_tallies_fold() == 0
    assert queue_tallies() == {}


def test_the_queue_reads_its_counts_from_the_tally_in_two_queries(
    reviewer, django_assert_num_queries
):
    for _ in range(3):
        make_case(reasons=reasons(ReasonCode.UNCERTAIN), product_category="Toys")
    make_case(reasons=reasons(ReasonCode.BUDGET_EXCEEDED), product_category="Clothing")

    with django_assert_num_queries(2):  # the tally's sums, the page of cases
        page = case_queue_for(reviewer=reviewer, filters=QueueFilters(category="Toys"), cursor=None)

    assert (page.total, page.reason_counts["uncertain"], page.reason_counts["budget"]) == (3, 3, 0)
    assert page.counts_at_least == frozenset()
    assert page.categories == ["Clothing", "Toys"]


def value_filtered_cases():
    for _ in range(3):
        make_case(reasons=reasons(ReasonCode.UNCERTAIN), order_value=Decimal("300.00"))
    make_case(reasons=reasons(ReasonCode.AUDIT_SAMPLE), order_value=Decimal("300.00"))
    make_case(reasons=reasons(ReasonCode.AUDIT_SAMPLE), order_value=Decimal("20.00"))


def test_filters_the_tally_cannot_serve_are_counted_exactly_below_the_cap(reviewer):
    value_filtered_cases()

    page = case_queue_for(
        reviewer=reviewer, filters=QueueFilters(value_min=Decimal("100")), cursor=None
    )

    assert (page.total, page.reason_counts["uncertain"], page.reason_counts["audit"]) == (4, 3, 1)
    assert page.counts_at_least == frozenset()


def test_past_the_cap_every_count_is_shown_as_a_floor(reviewer, client, monkeypatch):
    monkeypatch.setattr("casework.selectors.QUEUE_COUNT_CAP", 2)
    value_filtered_cases()

    page = case_queue_for(
        reviewer=reviewer, filters=QueueFilters(value_min=Decimal("100")), cursor=None
    )

    # Counted over the first three matching cases, in whatever order the database found them.
    assert page.total == 2
    assert page.reason_counts["uncertain"] + page.reason_counts["audit"] == 3
    assert page.counts_at_least == {TALLY_ALL, *QUEUE_REASONS}
    html = client.get("/?value_min=100").content.decode()
    assert "at least 2" in html
    assert 'data-reason="hold">Customer hold <b>0+</b>' in html


def test_the_tab_filter_and_the_tab_count_use_the_same_rule():
    case = make_case(reasons=reasons(ReasonCode.OOD_ANOMALY, ReasonCode.CUSTOMER_HOLD))

    matches = {
        key for key, (_, q) in QUEUE_REASONS.items() if ReviewCase.objects.filter(q, pk=case.pk)
    }

    assert matches == {"ood", "hold"}
    assert ReviewCase.objects.filter(Q(pk=case.pk), ~QUEUE_REASONS["audit"][1]).exists()
