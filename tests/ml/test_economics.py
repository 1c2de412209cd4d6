import numpy as np
import pytest

from ml.economics import (
    ACTIONS,
    costs_known_or_expected,
    expected_costs_batch,
    realized_cost,
    realized_costs_batch,
)

COSTS = {"false_reject_cost": 200.0, "review_cost": 50.0}


def test_expected_costs_price_each_action_at_the_probability():
    table = expected_costs_batch(
        np.array([0.5, 0.9, 0.01]), np.array([15.0, 2_000.0, 120.0]), 200, 50
    )
    np.testing.assert_allclose(
        table, [[7.5, 100.0, 50.0], [1_800.0, 20.0, 50.0], [1.2, 198.0, 50.0]]
    )
    assert table.shape[1] == len(ACTIONS)


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


def test_realized_costs_batch_agrees_with_realized_cost():
    rng = np.random.default_rng(0)
    actions = rng.choice(ACTIONS, 500).astype(object)
    value = rng.lognormal(4.5, 1.2, 500)
    is_fraud = rng.random(500) < 0.3
    realized = realized_costs_batch(actions, is_fraud, value, 200.0, 50.0)
    for i in range(len(actions)):
        assert realized[i] == realized_cost(
            action=actions[i], is_fraud=is_fraud[i], order_value=value[i], **COSTS
        )


def test_a_cost_is_known_with_a_label_or_a_review_and_expected_otherwise():
    cost, known = costs_known_or_expected(
        np.array(["approve", "approve", "review", "reject"], dtype=object),
        labelled=np.array([True, False, False, False]),
        is_fraud=np.array([True, False, False, False]),
        probability=np.array([0.5, 0.1, 0.9, 0.25]),
        value=np.array([100.0, 80.0, 50.0, 40.0]),
        false_reject_cost=200.0,
        review_cost=50.0,
    )
    assert known.tolist() == [True, False, True, False]
    assert cost.tolist() == pytest.approx([100.0, 8.0, 50.0, 150.0])
