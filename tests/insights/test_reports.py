"""The economic report's live figures: periods that fit the span shown, reviews opened per day
against capacity, the constraint prices decisions recorded, and what joined returns cost."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from insights.reports import economic_report_for
from intake.choices import Outcome
from scoring.services.policies import cost_settings_current
from tests.factories import ReviewCaseFactory
from tests.insights.conftest import OPEN_CASE, decided, joined

pytestmark = pytest.mark.django_db


def prices(*, lam="0.0000", review_price="50.00", capacity=500, used=0, joins_case=False):
    return {
        "portfolio_budget": "2000.00",
        "portfolio_lambda": lam,
        "review_price": review_price,
        "capacity": capacity,
        "capacity_used": used,
        "joins_case": joins_case,
    }


@pytest.fixture
def now():
    """A Saturday afternoon after the wall clock, so rows stamped now (cases) precede it."""
    ahead = timezone.now() + timedelta(days=1)
    saturday = ahead + timedelta(days=(5 - ahead.weekday()) % 7)
    return saturday.replace(hour=15, minute=0, second=0, microsecond=0)


def case_at(at, **fields):
    return ReviewCaseFactory(decision__decided_at=at, **fields)


# --- Periods -----------------------------------------------------------------------------------


def test_a_desk_whose_returns_came_within_an_hour_draws_minutes_and_a_rising_line(now):
    for minutes in range(60, 0, -5):
        decided(at=now - timedelta(minutes=minutes), action="approve", p=0.1)

    report = economic_report_for(days=30, now=now)

    assert report.period_unit == "1 minute"
    assert 24 <= len(report.cumulative) <= 96
    line = [row["cumulative_cost"] for row in report.cumulative]
    assert line == sorted(line)
    assert len(set(line)) >= 10
    assert sum(row["returns"] for row in report.cumulative) == 12


@pytest.mark.parametrize(
    ("span", "unit", "periods"),
    [
        (timedelta(minutes=10), "1 minute", range(10, 12)),
        (timedelta(hours=6), "5 minutes", range(72, 74)),
        (timedelta(hours=23), "15 minutes", range(92, 94)),
        (timedelta(days=5), "1 hour", range(120, 122)),
        (timedelta(days=20), "1 day", range(21, 22)),
    ],
)
def test_periods_follow_the_span_of_the_decisions_shown(now, span, unit, periods):
    decided(at=now - span, action="approve")
    decided(at=now - timedelta(seconds=1), action="approve")

    report = economic_report_for(days=30, now=now)

    assert report.period_unit == unit
    assert len(report.cumulative) in periods
    assert [row["period"] for row in report.cumulative] == [row["period"] for row in report.prices]


# --- Reviews opened per day against capacity -----------------------------------------------------


def test_reviews_per_day_counts_cases_not_the_returns_that_joined_them(now):
    yesterday = now - timedelta(days=1)
    first = case_at(now - timedelta(hours=3))
    case_at(now - timedelta(hours=2))
    case_at(yesterday)
    joined(first, at=now - timedelta(hours=1))
    joined(first, at=now - timedelta(minutes=30))
    decided(at=now - timedelta(hours=1), action="approve")

    days = {row["day"]: row for row in economic_report_for(days=30, now=now).reviews_per_day}

    assert days[now.date().isoformat()] == {
        "day": now.date().isoformat(),
        "cases_opened": 2,
        "capacity": 500,
        "returns_joined": 2,
    }
    assert days[yesterday.date().isoformat()]["cases_opened"] == 1


def test_a_day_is_held_against_its_weekday_capacity_or_the_capacity_it_recorded(now):
    settings = cost_settings_current()
    settings.review_capacity_weekdays = "500,500,500,500,300,40,0"
    settings.save()
    friday = now - timedelta(days=1)
    case_at(friday)  # made before prices were recorded: the weekday's capacity stands
    case_at(now - timedelta(hours=1), decision__prices=prices(capacity=35, used=0))

    days = {row["day"]: row for row in economic_report_for(days=30, now=now).reviews_per_day}

    assert [days[friday.date().isoformat()][k] for k in ("cases_opened", "capacity")] == [1, 300]
    assert [days[now.date().isoformat()][k] for k in ("cases_opened", "capacity")] == [1, 35]
    sunday_before = now - timedelta(days=6)
    assert days.get(sunday_before.date().isoformat()) is None  # before the first decision


def test_reviews_per_day_counts_the_first_day_whole(now):
    case_at(now - timedelta(hours=26))  # outside the last day, on the day it starts in
    case_at(now - timedelta(hours=20))

    report = economic_report_for(days=1, now=now)

    assert [row["cases_opened"] for row in report.reviews_per_day] == [2, 0]


# --- Constraint prices --------------------------------------------------------------------------


def test_prices_per_period_read_the_decisions_and_skip_those_without(now):
    at = now - timedelta(minutes=30)
    decided(at=at, action="approve", prices=prices(lam="0.0000", used=380))
    decided(at=at, action="reject", prices=prices(lam="0.5000", review_price="75.00", used=420))
    decided(at=at, action="reject", prices=prices(lam="1.2000", review_price="250.00", used=450))
    decided(at=at, action="approve", prices={})  # decided before decisions recorded prices
    decided(
        at=at,
        action="review",
        reasons=OPEN_CASE,
        prices=prices(review_price="0.00", used=451, joins_case=True),
    )
    decided(
        at=now - timedelta(minutes=5), action="reject", prices=prices(review_price=None, used=500)
    )

    report = economic_report_for(days=30, now=now)

    rows = [row for row in report.prices if row["decisions_priced"]]
    assert rows[0] | {"period": None} == {
        "period": None,
        "decisions_priced": 4,
        "portfolio_priced": 2,
        "portfolio_priced_share": 0.5,
        "lambda_mean": 0.85,
        "lambda_max": 1.2,
        "review_price": 250.0,  # the joined return's free review is not a price in force
        "capacity_used": 451,
        "capacity": 500,
    }
    assert rows[-1]["review_price"] == "full"
    assert rows[-1]["lambda_mean"] is None
    assert "1 of 6 decisions were made before decisions recorded their prices" in (
        report.prices_note
    )


def test_a_desk_of_old_decisions_has_empty_prices_not_an_error(now):
    decided(at=now - timedelta(hours=2), action="approve", prices={})

    report = economic_report_for(days=30, now=now)

    assert all(row["decisions_priced"] == 0 for row in report.prices)
    assert all(row["review_price"] is None for row in report.prices)
    assert report.prices_note.startswith("1 of 1 decisions")


# --- Cost of joined returns ---------------------------------------------------------------------


def test_a_return_that_joined_a_case_is_charged_its_verdict_not_a_review(now):
    case = case_at(now - timedelta(hours=3), decision__return_request__order_value=Decimal("90"))
    at = now - timedelta(hours=2)
    joined(case, at=at, outcome=Outcome.APPROVED, value="70.00", label=True)  # fraud let through
    joined(case, at=at, outcome=Outcome.REJECTED, value="40.00", label=False)  # insult: $200
    joined(case, at=at, outcome=Outcome.REJECTED, value="30.00", label=True)  # right: $0
    joined(case, at=at)  # waiting for the verdict: its review is the case's

    report = economic_report_for(days=30, now=now)

    costs = {row["category"]: row for row in report.costs}
    assert (costs["review_cost"]["returns"], costs["review_cost"]["total"]) == (1, 50.0)
    assert (costs["fraud_loss"]["returns"], costs["fraud_loss"]["total"]) == (1, 70.0)
    assert (costs["insult_cost"]["returns"], costs["insult_cost"]["total"]) == (2, 200.0)
    assert report.totals["policy_cost"] == 320.0
    assert report.totals["known_cost"] == 320.0
    assert (report.totals["reviews_opened"], report.totals["joined_open_case"]) == (1, 4)
    assert report.totals["review"] == 5
