"""The economic dashboard at /reports/: leads and admins only, figures and charts, few queries."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scoring.services.policies import cost_settings_current
from tests.factories import (
    CustomerHoldFactory,
    DecisionFactory,
    ReviewCaseFactory,
    UserFactory,
)
from tests.insights.conftest import decided, joined

pytestmark = pytest.mark.django_db

# Session, user, role groups, cost settings, decisions with their newest labels, holds, cases,
# and the session renewed for its idle timeout (a savepoint, the update, its release). The same
# for any number of decisions, cases, joined returns and days: no query per row.
REPORT_PAGE_QUERIES = 10
CHARTS = 8


@pytest.fixture
def lead(client):
    user = UserFactory(role="lead")
    client.force_login(user)
    return user


def hours_ago(hours):
    return timezone.now() - timedelta(hours=hours)


def figure(html, name):
    return re.search(rf'data-figure="{name}">([^<]*)<', html).group(1)


def charts(html):
    return re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+"', html)


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("reports:economic"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_reviewer_is_refused(client):
    client.force_login(UserFactory(role="reviewer"))

    assert client.get(reverse("reports:economic")).status_code == 403


@pytest.mark.parametrize("role", ["lead", "admin"])
def test_leads_and_admins_see_the_figures_and_every_chart(client, role):
    client.force_login(UserFactory(role=role))
    decided(action="approve", value="100.00", label=True)  # approved fraud: $100 lost
    decided(action="review", p=0.3, value="120.00")  # a review: $50, known
    decided(action="reject", p=0.2, value="80.00")  # unlabelled: (1 - 0.2) × $200 expected

    html = client.get(reverse("reports:economic")).content.decode()

    assert figure(html, "returns") == "3"
    assert figure(html, "policy-cost") == "$310.00"
    # Approve-all: the labelled fraud's $100, then p × value for the others: 36 + 16.
    assert figure(html, "approve-all-cost") == "$152.00"
    assert figure(html, "saving") == "−$158.00"
    assert "Labels where known (33% of 3 returns)" in figure(html, "basis")
    assert len(charts(html)) == CHARTS
    costs = re.search(r'data-cost="insult_cost">(.*?)</tr>', html).group(1)
    assert "$160.00" in costs


def test_the_period_comes_from_the_query_string(client, lead):
    decided(action="approve", at=hours_ago(24 * 10))
    decided(action="approve", at=hours_ago(2))

    recent = client.get(reverse("reports:economic"), {"days": "1"}).content.decode()
    invalid = client.get(reverse("reports:economic"), {"days": "lots"}).content.decode()

    assert figure(recent, "returns") == "1"
    assert figure(invalid, "returns") == "2"
    assert "Showing the default period instead." in invalid


def test_queue_age_is_shown_against_the_sla(client, lead):
    case = ReviewCaseFactory()
    type(case).objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(hours=6))
    CustomerHoldFactory()

    html = client.get(reverse("reports:economic")).content.decode()

    sla = cost_settings_current().review_sla_hours
    assert re.search(
        rf"Now: 1 open case, the oldest 6\.\d h old, median 6\.\d h \(SLA {sla} h\)", html
    )


def test_report_page_query_count_does_not_grow_with_decisions(client, lead):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("reports:economic")).status_code == 200
        return len(queries)

    decided(action="approve", label=False)
    ReviewCaseFactory()
    few = count_queries()
    for hours in range(3, 30):
        decided(action="approve", at=hours_ago(hours), label=hours % 2 == 0)
        joined(ReviewCaseFactory(decision__decided_at=hours_ago(hours)))
    CustomerHoldFactory.create_batch(3)
    many = count_queries()

    assert few == many == REPORT_PAGE_QUERIES


def test_a_desk_an_hour_old_is_read_in_minutes(client, lead):
    for minutes in (50, 30, 10):
        DecisionFactory(action="approve", decided_at=timezone.now() - timedelta(minutes=minutes))

    html = client.get(reverse("reports:economic")).content.decode()

    assert "periods of 1 minute" in html


def test_today_s_reviews_are_shown_against_the_day_s_capacity(client, lead):
    settings = cost_settings_current()
    settings.review_capacity_weekdays = ",".join(["40"] * 7)
    settings.save()
    case = ReviewCaseFactory()
    ReviewCaseFactory()
    joined(case)

    html = client.get(reverse("reports:economic")).content.decode()

    assert figure(html, "reviews-opened") == "2"
    assert figure(html, "joined") == "1"
    assert figure(html, "reviews-today") == (
        "Today (UTC): 2 of 40 review cases opened; 1 more return joined an open case."
    )


def test_a_fresh_desk_with_no_decisions_gets_the_page_not_an_error(client, lead):
    response = client.get(reverse("reports:economic"))
    assert response.status_code == 200
    html = response.content.decode()
    assert figure(html, "returns") == "0"
    assert "no open cases" in html
    assert len(charts(html)) == CHARTS
