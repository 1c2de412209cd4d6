"""A test run of draft rules over recent decisions: which change, and what it costs, unsaved."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from insights.services.rule_test_run import rules_test_run
from scoring.models import Decision
from scoring.policy import money
from scoring.services.rules import rule_publish, rule_save
from tests.factories import ApiClientFactory
from tests.insights.conftest import decided

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_costs")]

ELECTRONICS_OVER_500 = {
    "when": {
        "all": [
            {"field": "product_category", "op": "eq", "value": "Electronics"},
            {"field": "order_value", "op": "gt", "value": 500},
        ]
    },
    "effect": {"type": "probability_floor", "value": 0.25},
}


def recorded(*, p, value, category, label=None, days_ago=1):
    return decided(
        action="approve",
        at=timezone.now() - timedelta(days=days_ago),
        p=p,
        value=value,
        label=label,
        return_request__client=ApiClientFactory(name="shop"),
        return_request__product_category=category,
        ood=False,
        ood_score=0.1,
        ood_threshold=0.6,
        cost_approve=money(Decimal(repr(p)) * Decimal(value)),
        booked_loss=Decimal("0"),
        budget=Decimal("5000"),
        prices={},
    )


def test_a_draft_floor_shows_the_returns_it_changes_and_their_cost_by_label_or_estimate():
    fraud = recorded(p=0.01, value="800.00", category="Electronics", label=True)
    unlabelled = recorded(p=0.01, value="600.00", category="Electronics")
    recorded(p=0.01, value="800.00", category="Toys", label=False)
    recorded(p=0.01, value="900.00", category="Electronics", days_ago=40)
    draft = rule_save(actor=None, name="Electronics over $500", definition=ELECTRONICS_OVER_500)

    result = rules_test_run(drafts=[draft], days=30)

    assert result.returns == 3
    assert result.rule_hits == {"Electronics over $500": 2}
    assert result.moves == {("approve", "review"): 2}
    by_return = {change.decision.pk: change for change in result.changes}
    assert set(by_return) == {fraud.pk, unlabelled.pk}
    # The fraud's cost is known from its label: $800 approved, a $50 review instead.
    known = by_return[fraud.pk]
    assert (known.current_cost, known.proposed_cost, known.known) == (
        Decimal("800.00"),
        Decimal("50.00"),
        True,
    )
    # Unlabelled: approving is expected to cost p × value at the model's probability.
    estimated = by_return[unlabelled.pk]
    assert (estimated.current_cost, estimated.proposed_cost, estimated.known) == (
        Decimal("6.00"),
        Decimal("50.00"),
        False,
    )
    assert result.difference == Decimal("-800.00") + Decimal("50.00") + Decimal("44.00")
    # Nothing was published or decided again.
    assert Decision.objects.filter(action="review").count() == 0
    draft.refresh_from_db()
    assert draft.published is None


def test_a_published_rule_is_in_both_sides_so_only_the_draft_changes_anything():
    recorded(p=0.01, value="800.00", category="Electronics")
    live = rule_save(actor=None, name="Electronics over $500", definition=ELECTRONICS_OVER_500)
    rule_publish(actor=None, rule=live, mode="live")
    assert rules_test_run(drafts=[], days=30).changed == 0
    assert rules_test_run(drafts=[live], days=30).changed == 0
