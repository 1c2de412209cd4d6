"""What-if: recent returns decided again under proposed settings, priced by labels or estimates.

Live settings in these tests are the migration's defaults (false reject $200, review $50,
pessimistic OOD probability 0.7, default budget $50 over 90 days) with no audit sample, so that
no return lands in it by the luck of its order id.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from insights.services.whatif import (
    policy_snapshot_live,
    snapshot_with_budget,
    snapshot_with_costs,
    whatif_compare,
)
from scoring.policy import money
from tests.factories import ApiClientFactory, BudgetPolicyFactory, LabelFactory
from tests.insights.conftest import decided

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_costs")]

# Every return here comes from one retailer, so a customer id names one customer.
SHOP = "shop"
DEFAULT_BUDGET = {"scope": None, "key": "", "amount": Decimal("50.00"), "window_days": 90}


def recorded(
    *,
    p,
    value,
    action,
    booked="0",
    budget="50",
    customer="CUST-A",
    hours_ago=24,
    velocity=0,
    ood=False,
    portfolio_booked="0",
    prices=None,
    reasons=None,
    label=None,
):
    """A return decided `hours_ago` with the facts the what-if reads back from its decision."""
    return decided(
        action=action,
        at=timezone.now() - timedelta(hours=hours_ago),
        p=p,
        value=value,
        label=label,
        reasons=reasons,
        return_request__client=ApiClientFactory(name=SHOP),
        return_request__customer__external_id=customer,
        return_request__returns_velocity_30d=velocity,
        ood=ood,
        ood_score=0.1,
        ood_threshold=0.6,
        cost_approve=money(Decimal(repr(p)) * Decimal(value)),
        booked_loss=Decimal(booked),
        budget=Decimal(budget),
        portfolio_booked=Decimal(portfolio_booked),
        prices=prices or {},
    )


def costs(**values):
    return lambda live: snapshot_with_costs(live, values=values)


def default_budget(**changes):
    return lambda live: snapshot_with_budget(
        live, before=DEFAULT_BUDGET, after=DEFAULT_BUDGET | changes
    )


# (stored facts, label, proposed settings, current action, proposed action, current cost,
#  proposed cost). Costs are priced at the proposed prices; no label means expected cost.
CASES = {
    "cheaper review takes an unlabelled approval": (
        {"p": 0.1, "value": "100", "action": "approve"},
        None,
        costs(review_cost=Decimal("5.00")),
        ("approve", "review"),
        ("10.00", "5.00"),
    ),
    "labelled fraud approval costs its value": (
        {"p": 0.1, "value": "100", "action": "approve"},
        True,
        costs(review_cost=Decimal("5.00")),
        ("approve", "review"),
        ("100.00", "5.00"),
    ),
    "labelled legitimate return rejected costs the proposed insult": (
        {"p": 0.5, "value": "300", "action": "review"},
        False,
        costs(false_reject_cost=Decimal("20.00")),
        ("review", "reject"),
        ("50.00", "20.00"),
    ),
    # An account past its budget that returns 3 times a month leaves $300 open if approved.
    "higher default budget lets a breach through": (
        {"p": 0.2, "value": "100", "action": "review", "booked": "40", "velocity": 3},
        None,
        default_budget(amount=Decimal("100.00")),
        ("review", "approve"),
        ("50.00", "20.00"),
    ),
    "lower default budget sends an approval to review": (
        {"p": 0.2, "value": "100", "action": "approve", "booked": "20", "velocity": 3},
        False,
        default_budget(amount=Decimal("30.00")),
        ("approve", "review"),
        ("0.00", "50.00"),
    ),
    "trusting OOD returns more approves a cheap novel one": (
        {
            "p": 0.05,
            "value": "500",
            "action": "review",
            "ood": True,
            "reasons": [
                {"code": "ood_unseen_value", "text": "payment_method 'Crypto' never seen"},
                {"code": "ood_pessimistic", "text": "…"},
            ],
        },
        None,
        costs(ood_fraud_probability=0.01),
        ("review", "approve"),
        ("50.00", "25.00"),
    ),
    "a held customer stays rejected whatever the costs": (
        {
            "p": 0.01,
            "value": "100",
            "action": "reject",
            "reasons": [{"code": "customer_hold", "text": "customer is on hold (reject)"}],
        },
        True,
        costs(false_reject_cost=Decimal("1000.00"), review_cost=Decimal("1.00")),
        ("reject", "reject"),
        ("0.00", "0.00"),
    ),
    "auditing everything sends approvals to review": (
        {"p": 0.1, "value": "100", "action": "approve"},
        None,
        costs(audit_reviews_per_day=1000),
        ("approve", "review"),
        ("10.00", "50.00"),
    ),
}


@pytest.mark.parametrize(
    ("facts", "label", "proposal", "actions", "totals"), CASES.values(), ids=CASES.keys()
)
def test_whatif_case(facts, label, proposal, actions, totals):
    recorded(**facts, label=label)

    result = whatif_compare(proposed_snapshot=proposal(policy_snapshot_live()), days=30)

    assert result.returns == 1
    assert result.labelled == (label is not None)
    assert result.reproduced == 1
    current, proposed = actions
    assert result.current.mix[current] == 1
    assert result.proposed.mix[proposed] == 1
    assert result.changed == (current != proposed)
    assert (str(result.current.total), str(result.proposed.total)) == totals
    assert result.difference == Decimal(totals[1]) - Decimal(totals[0])


def test_customer_override_keeps_its_budget_when_the_default_changes():
    BudgetPolicyFactory(scope="customer", key=f"{SHOP}/VIP-1", amount=Decimal("200.00"))
    recorded(p=0.2, value="100", action="approve", booked="150", budget="200", customer="VIP-1")

    result = whatif_compare(
        proposed_snapshot=default_budget(amount=Decimal("10.00"))(policy_snapshot_live())
    )

    assert result.proposed.mix["approve"] == 1
    assert result.changed == 0


def test_an_approval_moved_to_review_frees_budget_for_the_customers_next_return():
    recorded(p=0.2, value="200", action="approve", booked="0", hours_ago=48, velocity=2)
    recorded(p=0.1, value="100", action="approve", booked="40", hours_ago=24, velocity=2)

    result = whatif_compare(
        proposed_snapshot=default_budget(amount=Decimal("35.00"))(policy_snapshot_live())
    )

    # The first ($40 expected loss) breaches $35, and approving would leave two more $200
    # returns open: it goes to review and books nothing, so the second sees $0 booked, not the
    # $40 recorded, and its $10 fits.
    assert result.current.mix == {"approve": 2, "reject": 0, "review": 0}
    assert result.proposed.mix == {"approve": 1, "reject": 0, "review": 1}
    assert result.moves == {("approve", "review"): 1}


def test_known_and_estimated_shares_use_the_newest_label():
    fraud_then_cleared = recorded(p=0.1, value="100", action="approve", label=True)
    LabelFactory(
        return_request=fraud_then_cleared.return_request,
        is_fraud=False,
        observed_at=timezone.now() + timedelta(minutes=1),
    )
    recorded(p=0.3, value="100", action="approve", customer="CUST-B")
    recorded(p=0.5, value="300", action="review", customer="CUST-C")

    result = whatif_compare(proposed_snapshot=policy_snapshot_live())

    assert (result.returns, result.labelled, result.unlabelled) == (3, 1, 2)
    # Cleared approval: $0 known; review: $50 known; unlabelled approval: 0.3 × $100 estimated.
    assert result.current.known == Decimal("50.00")
    assert result.current.estimated == Decimal("30.00")
    assert result.current == result.proposed
    assert result.changed == 0


def test_only_returns_decided_in_the_period_count():
    recorded(p=0.1, value="100", action="approve", hours_ago=24 * 40)
    recorded(p=0.1, value="100", action="approve", hours_ago=24 * 5, customer="CUST-B")

    assert whatif_compare(proposed_snapshot=policy_snapshot_live(), days=30).returns == 1
    assert whatif_compare(proposed_snapshot=policy_snapshot_live(), days=3).returns == 0


def test_new_override_in_the_snapshot_applies_to_its_customer_only():
    recorded(p=0.2, value="100", action="approve", customer="RISKY", velocity=2)
    recorded(p=0.2, value="100", action="approve", customer="CALM", velocity=2)
    override = {
        "scope": "customer",
        "key": f"{SHOP}/RISKY",
        "amount": Decimal("5.00"),
        "window_days": 90,
    }

    result = whatif_compare(
        proposed_snapshot=snapshot_with_budget(policy_snapshot_live(), before=None, after=override)
    )

    assert result.proposed.mix == {"approve": 1, "reject": 0, "review": 1}


def test_whatif_prices_the_exposure_of_frequent_returners_and_can_turn_it_off():
    # Approving a frequent returner also leaves its next six returns open: at p 0.1 that is
    # priced 0.1 x (25 + 150) = 17.50, under a review; at p 0.7 it is 122.50, over one.
    recorded(p=0.1, value="25.00", action="approve", velocity=6, customer="CUST-F", hours_ago=30)
    recorded(p=0.7, value="25.00", action="review", velocity=6, customer="CUST-G")

    result = whatif_compare(proposed_snapshot=costs(hold_velocity=None)(policy_snapshot_live()))

    assert result.reproduced == 2
    assert result.current.mix == {"approve": 1, "reject": 0, "review": 1}
    # Without the exposure the second return is approved at its expected loss of 17.50.
    assert result.proposed.mix == {"approve": 2, "reject": 0, "review": 0}
    assert result.moves == {("review", "approve"): 1}


def test_portfolio_pricing_is_reproduced_from_the_days_stored_total_and_budget():
    # $1,995 of that day's $2,000 was booked on Credit Card before this return: approving its
    # $30 expected loss was priced ×2, over a review.
    recorded(
        p=0.3,
        value="100.00",
        action="review",
        reasons=[{"code": "portfolio_budget_exceeded", "text": "…"}],
        portfolio_booked="1995.00",
        prices={"portfolio_budget": "2000.00"},
    )
    result = whatif_compare(proposed_snapshot=policy_snapshot_live())
    assert result.reproduced == 1
    assert result.current.mix["review"] == 1
    raised = policy_snapshot_live()
    raised["budgets"]["portfolio"]["*"] = "3000.00"
    assert whatif_compare(proposed_snapshot=raised).proposed.mix["approve"] == 1
