"""The queue page and the "Next case" button."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.choices import CaseStatus
from casework.models import ReviewCase
from core.models import AuditEvent
from scoring.services.policies import cost_settings_current
from tests.casework.conftest import claimed, make_case
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Session, user, role groups, cost settings (SLA), the queue tally (reason counts and the two
# filter menus), the page, the latest drift snapshot (the alarm banner), and the session renewed
# for its idle timeout (a savepoint, the update, its release). The same for any number of cases.
QUEUE_PAGE_QUERIES = 10


def row_ids(response):
    return [int(i) for i in re.findall(r'data-case-id="(\d+)"', response.content.decode())]


def test_queue_lists_cases_most_valuable_first(client, reviewer):
    low = make_case(priority="3.00")
    high = make_case(priority="64.00")

    response = client.get(reverse("casework:queue"))

    assert row_ids(response) == [high.pk, low.pk]
    html = response.content.decode()
    assert high.return_request.order_id in html
    assert "$64.00" in html


def test_queue_colours_age_against_the_review_sla(client, reviewer):
    costs = cost_settings_current()
    costs.review_sla_hours = 4
    costs.save()
    fresh = make_case(priority="3", age_minutes=60)
    due_soon = make_case(priority="2", age_minutes=180)
    late = make_case(priority="1", age_minutes=300)

    html = client.get(reverse("casework:queue")).content.decode()

    def tone(case):
        row = html.split(f'data-case-id="{case.pk}"')[1].split("</tr>")[0]
        return re.search(r"sla sla-(\w+)", row).group(1)

    assert (tone(fresh), tone(due_soon), tone(late)) == ("ok", "warn", "bad")


def test_queue_shows_short_reason_chips_and_counts(client, reviewer):
    make_case(reasons=[{"code": "ood_unseen_value", "text": "payment_method 'Crypto' never seen"}])
    make_case(reasons=[{"code": "budget_exceeded", "text": "booked loss $46.20 + $18.40 > $50"}])

    html = client.get(reverse("casework:queue")).content.decode()

    assert "OOD unseen value" in html
    assert re.search(r'data-reason="ood">Out of distribution <b>1</b>', html)
    assert re.search(r'data-reason="budget">Budget <b>1</b>', html)


def test_queue_filters_come_from_the_query_string(client, reviewer):
    ood = make_case(reasons=[{"code": "ood_out_of_range", "text": "order_value 9,800 > max"}])
    make_case(reasons=[{"code": "uncertain", "text": "a review is cheaper"}])
    crypto = make_case(payment_method="Crypto")

    assert row_ids(client.get(reverse("casework:queue"), {"reason": "ood"})) == [ood.pk]
    assert row_ids(client.get(reverse("casework:queue"), {"payment": "Crypto"})) == [crypto.pk]


def test_queue_ignores_an_invalid_filter_value_and_says_so(client, reviewer):
    make_case()

    response = client.get(reverse("casework:queue"), {"value_min": "lots"})

    assert response.status_code == 200
    assert len(row_ids(response)) == 1
    assert "value_min" in response.content.decode()


def test_queue_pages_through_cases_with_a_cursor_link(client, reviewer, monkeypatch):
    monkeypatch.setattr("casework.selectors.QUEUE_PAGE_SIZE", 2)
    cases = [make_case(priority=str(p)) for p in (50, 40, 30)]

    first = client.get(reverse("casework:queue"), {"category": "Electronics"})
    link = re.search(r'href="\?([^"]*cursor=[^"]+)"', first.content.decode()).group(1)
    second = client.get(reverse("casework:queue") + "?" + link.replace("&amp;", "&"))

    assert row_ids(first) == [cases[0].pk, cases[1].pk]
    assert row_ids(second) == [cases[2].pk]
    assert "category=Electronics" in link


@pytest.mark.parametrize("count", [5, 30])
def test_queue_page_query_count_does_not_grow_with_cases(client, reviewer, count):
    other = UserFactory(role="reviewer")
    for index in range(count):
        case = make_case(priority=str(index))
        if index % 2:
            claimed(case, other)
    cost_settings_current()

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("casework:queue"))

    assert len(row_ids(response)) == count
    assert len(queries) == QUEUE_PAGE_QUERIES, [q["sql"][:120] for q in queries]


def test_next_case_claims_the_top_case_and_opens_it(client, reviewer):
    make_case(priority="5")
    top = make_case(priority="90")

    response = client.post(reverse("casework:next"))

    assert response.status_code == 302
    assert response["Location"] == top.get_absolute_url()
    top.refresh_from_db()
    assert (top.status, top.assignee) == (CaseStatus.CLAIMED, reviewer)
    assert AuditEvent.objects.filter(action="case.claim", object_id=str(top.pk)).exists()


def test_next_case_on_an_empty_queue_returns_to_the_queue_with_a_message(client, reviewer):
    response = client.post(reverse("casework:next"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("casework:queue")
    assert "The queue is empty" in response.content.decode()


def test_next_case_refuses_get(client, reviewer):
    assert client.get(reverse("casework:next")).status_code == 405


def test_an_empty_filter_result_does_not_claim_the_queue_is_empty(client, reviewer):
    make_case()
    filtered = client.get(reverse("casework:queue") + "?q=NOPE").content.decode()
    assert "No case matches these filters" in filtered
    assert "The queue is empty" not in filtered
    ReviewCase.objects.all().delete()
    assert "The queue is empty" in client.get(reverse("casework:queue")).content.decode()


def test_an_overdue_case_says_so_in_words_not_only_in_colour(client, reviewer):
    sla = cost_settings_current().review_sla_hours
    make_case(age_minutes=sla * 60 + 5)
    assert "· overdue" in client.get(reverse("casework:queue")).content.decode()


def test_filter_errors_name_the_field_by_its_label(client, reviewer):
    html = client.get(reverse("casework:queue") + "?value_min=cheap").content.decode()
    assert "Min $: Enter a number." in html
