"""The hourly counters of decisions: kept in step by the pipeline, and read exactly over any
window (the policy's last-day rates) and any day (reviews opened against capacity)."""

from datetime import UTC, datetime, timedelta

import pytest

from casework.selectors import cases_opened_on, decision_hours_unbalanced
from casework.services.pipeline import returns_decide_pending
from scoring.choices import Action
from scoring.models import Decision, DecisionHour
from scoring.selectors import decisions_since
from tests.factories import DecisionFactory, ReturnRequestFactory, ReviewCaseFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_the_pipeline_counts_what_it_decides_in_the_decisions_hour(active_model):
    for n in range(12):
        ReturnRequestFactory(order_value=f"{20 + n * 90}.00", return_ratio=0.05 * n)
    assert returns_decide_pending() == 12

    assert decision_hours_unbalanced() == []
    (hour,) = DecisionHour.objects.all()
    assert hour.decided == 12
    assert hour.approved == Decision.objects.filter(action=Action.APPROVE).count()
    assert hour.cases_opened == Decision.objects.filter(review_case__isnull=False).count()


def test_a_window_counts_exactly_from_an_hour_s_middle():
    since = NOON + timedelta(minutes=30)
    for minutes, action, ood in [
        (20, Action.APPROVE, True),  # before the window, in its first hour
        (40, Action.APPROVE, False),  # in the first hour, after `since`
        (70, Action.REVIEW, True),
        (120, Action.APPROVE, True),
        (60 * 30, Action.APPROVE, False),
    ]:
        DecisionFactory(decided_at=NOON + timedelta(minutes=minutes), action=action, ood=ood)

    counts = decisions_since(since=since)

    assert (counts.decided, counts.approved, counts.ood_flagged) == (4, 3, 2)
    assert counts.decided == Decision.objects.filter(decided_at__gte=since).count()
    assert decision_hours_unbalanced() == []


def test_cases_opened_on_a_day_count_its_decisions_cases_and_audits_apart():
    for day_offset, audit in [(0, False), (0, True), (0, False), (1, False), (-1, True)]:
        decided_at = NOON + timedelta(days=day_offset)
        ReviewCaseFactory(
            decision__decided_at=decided_at,
            decision__return_request__is_audit_sample=audit,
        )
    DecisionFactory(decided_at=NOON, action=Action.APPROVE)  # opened nothing

    assert cases_opened_on(day=NOON.date()) == (3, 1)
    assert cases_opened_on(day=NOON.date() + timedelta(days=1)) == (1, 0)
    assert decision_hours_unbalanced() == []


def test_a_decision_written_behind_the_counters_is_found():
    DecisionFactory(decided_at=NOON)
    Decision.objects.filter(decided_at=NOON).update(decided_at=NOON + timedelta(hours=2))

    assert [row[0] for row in decision_hours_unbalanced()] == [NOON, NOON + timedelta(hours=2)]
