"""Tuning in the Django admin: costs, budgets, holds and model versions, by role, with Preview."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from budgets.models import BudgetPolicy, CustomerHold
from core.models import AuditEvent
from scoring.models import CostSettings, ModelVersion, PolicyVersion
from scoring.services.models import model_version_register
from tests.factories import (
    ApiClientFactory,
    BudgetPolicyFactory,
    CustomerFactory,
    CustomerHoldFactory,
    DecisionFactory,
    ModelVersionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

COSTS = {
    "false_reject_cost": "200.00",
    "review_cost": "50.00",
    "ood_fraud_probability": "0.7",
    "hold_velocity": "4",
    "review_capacity_per_day": "500",
    "review_sla_hours": "4",
    "audit_reviews_per_day": "0",
    "preview_days": "30",
}


def login(client, role):
    user = UserFactory(username=f"{role}-user", role=role, is_staff=True)
    client.force_login(user)
    return user


@pytest.fixture
def as_admin(client):
    return login(client, "admin")


def costs_url(costs):
    return reverse("admin:scoring_costsettings_change", args=[costs.pk])


def page(response):
    return response.content.decode()


def test_admin_changes_costs_and_a_policy_version_is_published_with_audit(
    client, as_admin, live_costs
):
    response = client.post(costs_url(live_costs), COSTS | {"review_cost": "35.00", "_save": "Save"})

    assert response.status_code == 302
    assert CostSettings.objects.get().review_cost == Decimal("35.00")
    version = PolicyVersion.objects.order_by("-id").first()
    assert version.created_by == as_admin
    assert "review_cost 50.00 → 35.00" in version.note
    event = AuditEvent.objects.get(action="policy.publish", object_id=str(version.pk))
    assert (event.actor, event.after["costs"]["review_cost"]) == (as_admin, "35.00")
    assert event.before is None or event.before["costs"]["review_cost"] == "50.00"


@pytest.mark.parametrize("role", ["reviewer", "lead"])
def test_reviewer_and_lead_cannot_see_or_change_costs(client, live_costs, role):
    login(client, role)

    assert client.get(costs_url(live_costs)).status_code == 403
    response = client.post(costs_url(live_costs), COSTS | {"review_cost": "1.00", "_save": "Save"})

    assert response.status_code == 403
    assert CostSettings.objects.get().review_cost == Decimal("50.00")
    assert not PolicyVersion.objects.exists()


def test_staff_without_a_role_is_refused_too(client, live_costs):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(costs_url(live_costs)).status_code == 403
    assert client.get(reverse("admin:budgets_budgetpolicy_changelist")).status_code == 403
    assert client.get(reverse("admin:scoring_modelversion_changelist")).status_code == 403


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("review_cost", "-5", "Review cost cannot be negative."),
        ("false_reject_cost", "-0.01", "False-reject cost cannot be negative."),
        ("ood_fraud_probability", "1.5", "Pessimistic OOD probability is a probability"),
        ("audit_reviews_per_day", "-1", "Audit reviews per day cannot be negative."),
        ("review_capacity_weekdays", "500,500", "Capacity by weekday needs seven whole numbers"),
        ("hold_velocity", "0", "Hold velocity must be at least one return."),
        ("review_capacity_per_day", "0", "Review capacity per day must be at least one review."),
        ("review_sla_hours", "0", "Review SLA (hours) must be at least one hour."),
    ],
)
def test_invalid_costs_are_rejected_with_a_clear_message(
    client, as_admin, live_costs, field, value, message
):
    response = client.post(costs_url(live_costs), COSTS | {field: value, "_save": "Save"})

    assert response.status_code == 200
    assert message in page(response)
    assert CostSettings.objects.get().review_cost == Decimal("50.00")
    assert not PolicyVersion.objects.exists()


def test_costs_cannot_be_added_or_deleted(client, as_admin, live_costs):
    assert client.get(reverse("admin:scoring_costsettings_add")).status_code == 403
    assert (
        client.get(reverse("admin:scoring_costsettings_delete", args=[live_costs.pk])).status_code
        == 403
    )


def test_preview_shows_the_what_if_and_saves_nothing(client, as_admin, live_costs):
    DecisionFactory(
        action="approve",
        fraud_probability=0.1,
        return_request__order_value=Decimal("100.00"),
        cost_approve=Decimal("10.00"),
        reasons=[{"code": "expected_cost", "text": "…"}],
        decided_at=timezone.now() - timedelta(days=1),
    )

    versions = PolicyVersion.objects.count()  # the factory's decision has one

    response = client.post(costs_url(live_costs), COSTS | {"review_cost": "5.00", "_preview": "1"})

    html = page(response)
    assert response.status_code == 200
    assert "What-if preview: nothing was saved" in html
    assert 'data-figure="current-total">$10.00<' in html
    assert 'data-figure="proposed-total">$5.00<' in html
    assert 'data-figure="estimated">1 estimated (100%)' in html
    assert "approve → review 1" in html
    assert 'value="5.00"' in html  # the proposed values stay in the form
    assert CostSettings.objects.get().review_cost == Decimal("50.00")
    assert PolicyVersion.objects.count() == versions
    # The admin's login is audited; the preview itself leaves no trace.
    assert not AuditEvent.objects.exclude(action__startswith="login.").exists()


def test_preview_with_invalid_values_shows_the_errors_and_no_preview(client, as_admin, live_costs):
    response = client.post(
        costs_url(live_costs), COSTS | {"review_cost": "-1", "_preview": "Preview"}
    )

    assert "Review cost cannot be negative." in page(response)
    assert "What-if preview" not in page(response)


def test_admin_adds_a_customer_override_through_the_tuning_service(client, as_admin):
    ApiClientFactory(name="shop")
    response = client.post(
        reverse("admin:budgets_budgetpolicy_add"),
        {
            "scope": "customer",
            "key": "shop/C-9",
            "amount": "20.00",
            "window_days": "90",
            "_save": "1",
        },
    )

    assert response.status_code == 302
    assert BudgetPolicy.objects.get(scope="customer").key == "shop/C-9"
    version = PolicyVersion.objects.get()
    assert version.snapshot["budgets"]["customer"] == {"shop/C-9": "20.00"}
    assert version.created_by == as_admin


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"scope": "payment_method", "key": ""}, "An override needs a key: the payment method."),
        ({"scope": "portfolio", "key": ""}, "or * for every one"),
        ({"scope": "customer", "key": "C-1", "amount": "-1"}, "A budget cannot be negative."),
        ({"scope": "", "key": ""}, "There is a default budget already; change that one."),
        ({"scope": "", "key": "Toys"}, "The default budget has no key"),
        ({"scope": "portfolio", "key": "*"}, "There is a portfolio budget for * already."),
        ({"scope": "customer", "key": "C-1", "window_days": "30"}, "Only the default budget"),
        ({"scope": "customer", "key": "C-1"}, "The key of a customer budget is the client name"),
        ({"scope": "customer", "key": "nobody/C-1"}, "as client/customer-id"),
    ],
)
def test_invalid_budgets_are_rejected_with_a_clear_message(client, as_admin, data, message):
    BudgetPolicyFactory(scope="portfolio", key="*", amount=Decimal("5000.00"))
    before = BudgetPolicy.objects.count()
    form = {"amount": "10.00", "window_days": "90", "_save": "1"} | data

    response = client.post(reverse("admin:budgets_budgetpolicy_add"), form)

    assert response.status_code == 200
    assert message in page(response)
    assert BudgetPolicy.objects.count() == before
    assert not PolicyVersion.objects.exists()


def test_budget_preview_on_the_default_saves_nothing(client, as_admin, live_costs):
    default = BudgetPolicy.objects.get(scope__isnull=True)
    DecisionFactory(
        action="review",
        fraud_probability=0.2,
        return_request__order_value=Decimal("100.00"),
        # Still returning: past its budget, approving would leave three more such returns open.
        return_request__returns_velocity_30d=3,
        booked_loss=Decimal("40.00"),
        budget=Decimal("50.00"),
        reasons=[{"code": "budget_exceeded", "text": "…"}],
    )
    versions = PolicyVersion.objects.count()

    response = client.post(
        reverse("admin:budgets_budgetpolicy_change", args=[default.pk]),
        {"scope": "", "key": "", "amount": "100.00", "window_days": "90", "_preview": "1"},
    )

    html = page(response)
    assert 'data-figure="proposed-approve">1<' in html
    assert 'data-figure="current-review">1<' in html
    assert BudgetPolicy.objects.get(pk=default.pk).amount == Decimal("50.00")
    assert PolicyVersion.objects.count() == versions


def test_preview_of_a_new_override_applies_it_to_its_customer_and_adds_nothing(
    client, as_admin, live_costs
):
    DecisionFactory(
        action="approve",
        fraud_probability=0.2,
        return_request__order_value=Decimal("100.00"),
        return_request__client=ApiClientFactory(name="shop"),
        return_request__customer__external_id="RISKY",
        return_request__returns_velocity_30d=3,
        cost_approve=Decimal("20.00"),
        reasons=[{"code": "expected_cost", "text": "…"}],
    )
    budgets = BudgetPolicy.objects.count()

    override = {"scope": "customer", "key": "shop/RISKY", "amount": "5.00", "window_days": "90"}

    response = client.post(reverse("admin:budgets_budgetpolicy_add"), override | {"_preview": "1"})

    html = page(response)
    assert "approve → review 1" in html
    assert BudgetPolicy.objects.count() == budgets


def test_preview_over_a_quiet_period_says_there_is_nothing_to_compare(client, as_admin, live_costs):
    response = client.post(costs_url(live_costs), COSTS | {"preview_days": "7", "_preview": "1"})

    assert "No return was decided in the last 7 days: nothing to compare." in page(response)


def test_the_default_budget_cannot_be_deleted_but_an_override_can(client, as_admin):
    default = BudgetPolicy.objects.get(scope__isnull=True)
    override = BudgetPolicyFactory(scope="product_category", key="Toys")
    # An absolute portfolio budget for every payment method is an override like any other.
    portfolio = BudgetPolicyFactory(scope="portfolio", key="*", amount=Decimal("5000.00"))
    delete = "admin:budgets_budgetpolicy_delete"

    refused = client.get(reverse(delete, args=[default.pk])).status_code
    deleted = [
        client.post(reverse(delete, args=[b.pk]), {"post": "yes"}).status_code
        for b in (override, portfolio)
    ]

    assert refused == 403
    assert deleted == [302, 302]
    assert not BudgetPolicy.objects.filter(pk__in=[override.pk, portfolio.pk]).exists()
    version = PolicyVersion.objects.order_by("-id").first()
    assert version.snapshot["budgets"]["product_category"] == {}
    assert version.snapshot["budgets"]["portfolio"] == {}
    assert version.created_by == as_admin


def test_lead_cannot_change_budgets(client):
    login(client, "lead")
    default = BudgetPolicy.objects.get(scope__isnull=True)

    response = client.post(
        reverse("admin:budgets_budgetpolicy_change", args=[default.pk]),
        {"scope": "", "key": "", "amount": "1000.00", "window_days": "90", "_save": "1"},
    )

    assert response.status_code == 403
    assert BudgetPolicy.objects.get(pk=default.pk).amount == Decimal("50.00")


def test_lead_places_and_releases_a_hold(client):
    lead = login(client, "lead")
    customer = CustomerFactory(external_id="C-77")
    # Another retailer's customer of the same id is someone else, and is not held.
    other = CustomerFactory(external_id="C-77")

    placed = client.post(
        reverse("admin:budgets_customerhold_add"),
        {
            "client": customer.client.pk,
            "customer": "C-77",
            "mode": "reject",
            "reason": "chargebacks",
            "_save": "1",
        },
    )
    hold = CustomerHold.objects.get(customer=customer)
    released = client.post(
        reverse("admin:budgets_customerhold_changelist"),
        {"action": "release", "_selected_action": [hold.pk]},
    )

    assert (placed.status_code, released.status_code) == (302, 302)
    hold.refresh_from_db()
    assert (hold.created_by, hold.released_by) == (lead, lead)
    assert AuditEvent.objects.filter(action__in=["hold.place", "hold.release"]).count() == 2
    assert not CustomerHold.objects.filter(customer=other).exists()


@pytest.mark.parametrize(
    ("customer", "message"),
    [("NOBODY", "shop has no customer NOBODY."), ("C-HELD", "C-HELD is on hold already")],
)
def test_hold_for_an_unknown_or_held_customer_is_refused(client, customer, message):
    login(client, "lead")
    shop = ApiClientFactory(name="shop")
    CustomerHoldFactory(customer__client=shop, customer__external_id="C-HELD")

    response = client.post(
        reverse("admin:budgets_customerhold_add"),
        {"client": shop.pk, "customer": customer, "mode": "reject", "reason": "x", "_save": "1"},
    )

    assert message in page(response)
    assert CustomerHold.objects.count() == 1


def test_a_hold_is_never_edited_or_deleted_and_reviewers_cannot_place_one(client):
    hold = CustomerHoldFactory()
    login(client, "lead")
    change = client.post(
        reverse("admin:budgets_customerhold_change", args=[hold.pk]), {"reason": "edited"}
    )
    delete = client.get(reverse("admin:budgets_customerhold_delete", args=[hold.pk]))
    client.force_login(UserFactory(username="r", role="reviewer", is_staff=True))
    add = client.get(reverse("admin:budgets_customerhold_add"))

    assert (change.status_code, delete.status_code, add.status_code) == (403, 403, 403)
    assert CustomerHold.objects.get().reason == "test hold"


def test_admin_activates_and_rolls_back_model_versions_by_action(
    client, as_admin, active_model, trained_bundle
):
    old = active_model
    new = model_version_register(bundle=trained_bundle, training_data="again", activate=False)
    url = reverse("admin:scoring_modelversion_changelist")
    events_before = AuditEvent.objects.filter(action="model.activate").count()

    client.post(url, {"action": "activate", "_selected_action": [new.pk]})
    assert ModelVersion.objects.get(is_active=True) == new
    client.post(url, {"action": "rollback", "_selected_action": [new.pk]})

    assert ModelVersion.objects.get(is_active=True) == old
    events = AuditEvent.objects.filter(action="model.activate").order_by("id")[events_before:]
    assert [e.after["active"] for e in events] == [new.version, old.version]
    assert all(e.actor == as_admin for e in events)


def test_model_versions_are_not_editable_and_leads_cannot_activate(client):
    version = ModelVersionFactory()
    login(client, "lead")

    response = client.post(
        reverse("admin:scoring_modelversion_changelist"),
        {"action": "activate", "_selected_action": [version.pk]},
    )

    assert response.status_code == 403
    assert not ModelVersion.objects.filter(is_active=True).exists()


def test_a_version_without_its_files_is_not_activated_and_the_admin_is_told(client, as_admin):
    broken = ModelVersionFactory()  # registered, but no files were ever written

    response = client.post(
        reverse("admin:scoring_modelversion_changelist"),
        {"action": "activate", "_selected_action": [broken.pk]},
        follow=True,
    )

    assert "not activated: its files are missing or altered" in page(response)
    assert not ModelVersion.objects.filter(is_active=True).exists()
