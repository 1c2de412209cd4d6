"""Tuning costs and budgets: every change is a new policy version with an audited before/after."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q

from budgets.models import BudgetPolicy
from core.models import AuditEvent
from scoring.models import CostSettings, PolicyVersion
from scoring.services.policies import policy_version_publish
from scoring.services.tuning import (
    budget_policy_delete,
    budget_policy_save,
    cost_settings_update,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return UserFactory(username="tuner", role="admin", is_staff=True)


def test_cost_change_publishes_a_version_with_author_note_and_audited_snapshots(admin_user):
    first = policy_version_publish(note="before")

    costs, version = cost_settings_update(
        actor=admin_user, values={"review_cost": Decimal("35.00"), "audit_reviews_per_day": 10}
    )

    assert CostSettings.objects.get().review_cost == Decimal("35.00")
    assert costs.review_cost == Decimal("35.00")
    assert version.pk > first.pk
    assert version.created_by == admin_user
    assert version.snapshot["costs"]["review_cost"] == "35.00"
    assert "review_cost 50.00 → 35.00" in version.note
    assert "audit_reviews_per_day 4 → 10" in version.note
    event = AuditEvent.objects.get(action="policy.publish", object_id=str(version.pk))
    assert event.actor == admin_user
    assert event.before["costs"]["review_cost"] == "50.00"
    assert event.after["costs"]["review_cost"] == "35.00"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"review_cost": Decimal("-1")}, "review_cost"),
        ({"false_reject_cost": Decimal("-0.01")}, "false_reject_cost"),
        ({"ood_fraud_probability": 1.2}, "ood_fraud_probability"),
        ({"audit_reviews_per_day": -1}, "audit_reviews_per_day"),
        ({"review_capacity_weekdays": "1,2,x,4,5,6,7"}, "review_capacity_weekdays"),
    ],
)
def test_invalid_costs_are_refused_and_nothing_is_published(admin_user, values, field):
    versions = PolicyVersion.objects.count()

    with pytest.raises(ValidationError) as refused:
        cost_settings_update(actor=admin_user, values=values)

    assert field in refused.value.message_dict
    assert PolicyVersion.objects.count() == versions
    assert CostSettings.objects.get().review_cost == Decimal("50.00")


def test_unknown_cost_field_is_a_programming_error(admin_user):
    with pytest.raises(ValueError, match="updated_at"):
        cost_settings_update(actor=admin_user, values={"updated_at": None})


def test_customer_override_is_added_and_lands_in_the_snapshot(admin_user):
    budget, version = budget_policy_save(
        actor=admin_user,
        values={"scope": "customer", "key": "C-9", "amount": Decimal("20.00"), "window_days": 90},
    )

    stored = BudgetPolicy.objects.get(scope="customer", key="C-9")
    assert (stored.pk, stored.amount, stored.window_days) == (budget.pk, Decimal("20.00"), 90)
    assert version.snapshot["budgets"]["customer"] == {"C-9": "20.00"}
    assert version.note.startswith("customer budget C-9 added")


def test_default_budget_change_keeps_window_and_notes_the_change(admin_user):
    default = BudgetPolicy.objects.get(scope__isnull=True)

    _budget, version = budget_policy_save(
        actor=admin_user,
        budget_id=default.pk,
        values={"scope": None, "key": "", "amount": Decimal("80.00"), "window_days": 60},
    )

    assert version.snapshot["budgets"]["default"] == "80.00"
    assert version.snapshot["budgets"]["window_days"] == 60
    assert "amount 50.00 → 80.00" in version.note
    assert "window_days 90 → 60" in version.note


@pytest.mark.parametrize(
    "values",
    [
        {"scope": "payment_method", "key": "", "amount": Decimal("10")},
        {"scope": "customer", "key": "C-1", "amount": Decimal("-5")},
    ],
)
def test_invalid_budget_is_refused_without_a_version(admin_user, values):
    versions = PolicyVersion.objects.count()

    with pytest.raises(ValidationError):
        budget_policy_save(actor=admin_user, values=values)

    assert PolicyVersion.objects.count() == versions
    assert not BudgetPolicy.objects.filter(scope=values["scope"]).exists()


def test_default_budget_cannot_become_an_override(admin_user):
    default = BudgetPolicy.objects.get(scope__isnull=True)

    with pytest.raises(ValidationError):
        budget_policy_save(
            actor=admin_user, budget_id=default.pk, values={"scope": "customer", "key": "C-1"}
        )

    assert BudgetPolicy.objects.filter(scope__isnull=True).exists()


def test_removing_an_override_publishes_and_the_default_stays(admin_user):
    override, _ = budget_policy_save(
        actor=admin_user,
        values={"scope": "product_category", "key": "Toys", "amount": Decimal("30.00")},
    )

    version = budget_policy_delete(actor=admin_user, budget_id=override.pk)

    assert version.snapshot["budgets"]["product_category"] == {}
    assert version.note == "product_category budget Toys removed (was 30.00)"
    for builtin in BudgetPolicy.objects.filter(Q(scope__isnull=True) | Q(scope="portfolio")):
        with pytest.raises(ValidationError):
            budget_policy_delete(actor=admin_user, budget_id=builtin.pk)


def test_saving_unchanged_costs_publishes_nothing(admin_user):
    current = policy_version_publish(note="before")
    events = AuditEvent.objects.count()

    _, version = cost_settings_update(
        actor=admin_user, values={"review_cost": Decimal("50"), "false_reject_cost": "200.00"}
    )

    assert version == current
    assert PolicyVersion.objects.latest("pk") == current
    assert AuditEvent.objects.count() == events
