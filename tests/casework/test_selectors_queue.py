"""The review queue selector: order, filters, reason counts and keyset pages."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from casework.choices import CaseStatus
from casework.models import ReviewCase
from casework.selectors import QueueFilters, case_queue_for
from tests.casework.conftest import claimed, make_case
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

# Each case's reasons end with the comparison of prices, as the policy writes them.
REASONS = {
    key: [reason, {"code": "expected_cost", "text": "review $50.00 < approve $60.00"}]
    for key, reason in {
        "ood": {"code": "ood_unseen_value", "text": "payment_method 'Crypto' never seen"},
        "budget": {"code": "budget_exceeded", "text": "booked loss $46.20 + $18.40 > budget $50"},
        "portfolio": {"code": "portfolio_budget_exceeded", "text": "Gift Card booked today ..."},
        "uncertain": {"code": "uncertain", "text": "a review is cheaper"},
        "hold": {"code": "customer_hold", "text": "customer is on hold (review)"},
        "audit": {"code": "audit_sample", "text": "picked at random"},
    }.items()
}


def ids(page):
    return [case.pk for case in page.cases]


def queue(reviewer, cursor=None, **filters):
    return case_queue_for(reviewer=reviewer, filters=QueueFilters(**filters), cursor=cursor)


def test_queue_orders_by_priority_then_oldest_then_id(reviewer):
    low = make_case(priority="5.00", age_minutes=300)
    high = make_case(priority="80.00", age_minutes=1)
    tie_newer = make_case(priority="20.00", age_minutes=10)
    tie_older = make_case(priority="20.00", age_minutes=60)

    assert ids(queue(reviewer)) == [high.pk, tie_older.pk, tie_newer.pk, low.pk]


def test_queue_leaves_out_resolved_cases_but_keeps_claimed_ones(reviewer):
    open_case = make_case()
    held = make_case()
    claimed(held, reviewer)
    resolved = make_case()
    ReviewCase.objects.filter(pk=resolved.pk).update(status=CaseStatus.RESOLVED)

    assert set(ids(queue(reviewer))) == {open_case.pk, held.pk}


@pytest.mark.parametrize(
    ("reason", "matching"),
    [
        ("ood", {"ood"}),
        ("budget", {"budget", "portfolio"}),
        ("uncertain", {"uncertain"}),
        ("hold", {"hold"}),
        ("audit", {"audit"}),
    ],
)
def test_reason_filter_picks_cases_by_their_reason_codes(reviewer, reason, matching):
    cases = {key: make_case(reasons=REASONS[key]) for key in REASONS}

    assert set(ids(queue(reviewer, reason=reason))) == {cases[key].pk for key in matching}


def test_reason_counts_follow_the_other_filters_but_not_the_reason_filter(reviewer):
    make_case(reasons=REASONS["ood"], product_category="Electronics")
    make_case(reasons=REASONS["ood"], product_category="Apparel")
    make_case(reasons=REASONS["budget"], product_category="Electronics")
    make_case(reasons=REASONS["portfolio"], product_category="Electronics")

    page = queue(reviewer, reason="ood", category="Electronics")

    assert page.total == 3
    assert page.reason_counts == {"ood": 1, "budget": 2, "uncertain": 0, "hold": 0, "audit": 0}
    assert len(page.cases) == 1


def test_category_payment_and_value_filters_combine(reviewer):
    wanted = make_case(
        product_category="Electronics", payment_method="Crypto", order_value=Decimal("250.00")
    )
    make_case(product_category="Apparel", payment_method="Crypto", order_value=Decimal("250.00"))
    make_case(product_category="Electronics", payment_method="Card", order_value=Decimal("250.00"))
    make_case(product_category="Electronics", payment_method="Crypto", order_value=Decimal("99"))
    make_case(product_category="Electronics", payment_method="Crypto", order_value=Decimal("501"))

    page = queue(
        reviewer,
        category="Electronics",
        payment="Crypto",
        value_min=Decimal("100"),
        value_max=Decimal("500"),
    )

    assert ids(page) == [wanted.pk]
    assert page.categories == ["Apparel", "Electronics"]
    assert page.payment_methods == ["Card", "Crypto"]


def test_mine_and_unassigned_filters_treat_a_lapsed_claim_as_unassigned(reviewer):
    other = UserFactory(role="reviewer")
    mine = make_case()
    theirs = make_case()
    lapsed = make_case()
    unclaimed = make_case()
    claimed(mine, reviewer, expires_in=timedelta(minutes=10))
    claimed(theirs, other, expires_in=timedelta(minutes=10))
    claimed(lapsed, reviewer, expires_in=timedelta(minutes=-1))

    assert ids(queue(reviewer, assignee="mine")) == [mine.pk]
    assert set(ids(queue(reviewer, assignee="unassigned"))) == {lapsed.pk, unclaimed.pk}


def test_search_finds_a_case_by_order_id_or_customer_id(reviewer):
    customer = CustomerFactory(external_id="CUST-SEARCH")
    by_customer = make_case(customer=customer)
    by_order = make_case(order_id="ORD-LOOKUP-1")
    make_case()

    assert ids(queue(reviewer, q="ORD-LOOKUP-1")) == [by_order.pk]
    assert ids(queue(reviewer, q="CUST-SEARCH")) == [by_customer.pk]


def test_keyset_pages_visit_every_case_once_in_order_even_with_ties(reviewer, monkeypatch):
    monkeypatch.setattr("casework.selectors.QUEUE_PAGE_SIZE", 3)
    same_time = timezone.now() - timedelta(hours=1)
    cases = [make_case(priority=str(p)) for p in ("9", "9", "9", "9", "5", "5", "1", "12")]
    ReviewCase.objects.filter(pk__in=[c.pk for c in cases]).update(created_at=same_time)
    expected = list(
        ReviewCase.objects.order_by("-priority", "created_at", "id").values_list("id", flat=True)
    )

    seen, cursor, pages = [], None, 0
    while True:
        page = queue(reviewer, cursor=cursor)
        seen += ids(page)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert seen == expected
    assert pages == 3


def test_an_unreadable_cursor_starts_from_the_top(reviewer):
    first = make_case(priority="50")
    make_case(priority="1")

    assert ids(queue(reviewer, cursor="not-a-cursor"))[0] == first.pk
