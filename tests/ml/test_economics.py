import numpy as np
import pytest

from ml.economics import (
    ACTIONS,
    cheapest_action,
    cheapest_actions,
    expected_costs,
    expected_costs_batch,
    ood_adjusted_probability,
    policy_outcome,
    realized_cost,
    realized_costs_batch,
)

COSTS = {"false_reject_cost": 200.0, "review_cost": 50.0}


@pytest.mark.parametrize(
    ("p", "value", "expected", "action"),
    [
        # A $15 return at an OOD floor of 0.5 is not worth a $50 review.
        (0.5, 15.0, {"approve": 7.5, "reject": 100.0, "review": 50.0}, "approve"),
        # The same doubt on $2,000 is.
        (0.5, 2_000.0, {"approve": 1_000.0, "reject": 100.0, "review": 50.0}, "review"),
        (0.9, 2_000.0, {"approve": 1_800.0, "reject": 20.0, "review": 50.0}, "reject"),
        (0.01, 120.0, {"approve": 1.2, "reject": 198.0, "review": 50.0}, "approve"),
        # Ties: approve beats review, review beats reject.
        (0.5, 100.0, {"approve": 50.0, "reject": 100.0, "review": 50.0}, "approve"),
        (0.75, 1_000.0, {"approve": 750.0, "reject": 50.0, "review": 50.0}, "review"),
    ],
)
def test_expected_costs_and_cheapest_action(p, value, expected, action):
    costs = expected_costs(fraud_probability=p, order_value=value, **COSTS)
    assert costs == pytest.approx(expected)
    assert cheapest_action(costs) == action


def test_tie_between_approve_and_reject_goes_to_approve():
    assert cheapest_action({"approve": 10.0, "reject": 10.0, "review": 50.0}) == "approve"


@pytest.mark.parametrize(
    ("action", "is_fraud", "cost"),
    [
        ("approve", True, 80.0),
        ("approve", False, 0.0),
        ("reject", False, 200.0),
        ("reject", True, 0.0),
        ("review", True, 50.0),
        ("review", False, 50.0),
    ],
)
def test_realized_cost(action, is_fraud, cost):
    assert realized_cost(action=action, is_fraud=is_fraud, order_value=80.0, **COSTS) == cost


def test_realized_cost_refuses_an_unknown_action():
    with pytest.raises(ValueError, match="unknown action"):
        realized_cost(action="escalate", is_fraud=True, order_value=1.0, **COSTS)
    with pytest.raises(ValueError, match="escalate"):
        realized_costs_batch(np.array(["approve", "escalate"]), [0, 1], [1.0, 1.0], 200.0, 50.0)


def test_batch_functions_agree_with_the_scalar_ones():
    rng = np.random.default_rng(0)
    p = np.concatenate([rng.random(500), [0.5, 0.75]])
    value = np.concatenate([rng.lognormal(4.5, 1.2, 500), [100.0, 1_000.0]])
    is_fraud = rng.random(len(p)) < p
    table = expected_costs_batch(p, value, 200.0, 50.0)
    actions = cheapest_actions(table)
    realized = realized_costs_batch(actions, is_fraud, value, 200.0, 50.0)
    for i in range(len(p)):
        costs = expected_costs(fraud_probability=p[i], order_value=value[i], **COSTS)
        assert table[i] == pytest.approx([costs[action] for action in ACTIONS])
        assert actions[i] == cheapest_action(costs)
        assert realized[i] == realized_cost(
            action=actions[i], is_fraud=is_fraud[i], order_value=value[i], **COSTS
        )


def test_ood_flag_raises_probability_to_the_floor_only():
    adjusted = ood_adjusted_probability(
        np.array([0.1, 0.9, 0.1]), np.array([True, True, False]), 0.5
    )
    np.testing.assert_array_equal(adjusted, [0.5, 0.9, 0.1])


def test_policy_outcome_reviews_the_doubtful_expensive_return():
    outcome = policy_outcome(
        fraud_probability=np.array([0.01, 0.01, 0.01]),
        ood_flag=np.array([False, True, True]),
        order_value=np.array([100.0, 15.0, 2_000.0]),
        is_fraud=np.array([0, 1, 1]),
        ood_fraud_probability=0.5,
        **COSTS,
    )
    # Approve $100 (legit, 0), approve $15 (fraud, 15), review $2,000 (50).
    assert outcome["cost_per_return_policy"] == pytest.approx(65.0 / 3)
    assert outcome["cost_per_return_approve_all"] == pytest.approx(2_015.0 / 3)
    assert outcome["action_mix"] == pytest.approx(
        {"approve": 2 / 3, "reject": 0.0, "review": 1 / 3}
    )
