"""Expected and realized cost of approving, rejecting or reviewing a return."""

from collections.abc import Mapping

import numpy as np

ACTIONS = ("approve", "reject", "review")
# On equal expected cost prefer the action that bothers the customer least.
_TIE_PREFERENCE = ("approve", "review", "reject")
_TIE_COLUMNS = np.array([ACTIONS.index(action) for action in _TIE_PREFERENCE])


def expected_costs(
    *, fraud_probability: float, order_value: float, false_reject_cost: float, review_cost: float
) -> dict[str, float]:
    """Expected loss of each action for one return.

    Approving loses the order value if the return is fraud; rejecting costs a wronged honest
    customer; a review costs the same either way because it ends with the true verdict.
    """
    return {
        "approve": fraud_probability * order_value,
        "reject": (1.0 - fraud_probability) * false_reject_cost,
        "review": float(review_cost),
    }


def expected_costs_batch(
    p: np.ndarray, value: np.ndarray, false_reject_cost: float, review_cost: float
) -> np.ndarray:
    """Expected costs for many returns, shape (n, 3), columns in ACTIONS order."""
    p = np.asarray(p, dtype=np.float64)
    value = np.asarray(value, dtype=np.float64)
    return np.column_stack(
        [p * value, (1.0 - p) * false_reject_cost, np.full(p.shape, float(review_cost))]
    )


def cheapest_action(costs: Mapping[str, float]) -> str:
    """The cheapest of the actions priced in `costs` (an action left out is unavailable); ties
    go to approve, then review, then reject."""
    return min((a for a in _TIE_PREFERENCE if a in costs), key=lambda action: costs[action])


def cheapest_actions(costs: np.ndarray) -> np.ndarray:
    """Row-wise cheapest_action over an (n, 3) array from expected_costs_batch."""
    # argmin keeps the first minimum, so ordering columns by preference breaks ties.
    best = np.argmin(np.asarray(costs)[:, _TIE_COLUMNS], axis=1)
    return np.array(_TIE_PREFERENCE, dtype=object)[best]


def ood_adjusted_probability(
    p: np.ndarray, ood_flag: np.ndarray, ood_fraud_probability: float
) -> np.ndarray:
    """The probability to decide on: a flagged return is treated as at least this risky.

    The model has no evidence about returns unlike its training data, so its estimate there is
    raised to a floor rather than trusted.
    """
    p = np.asarray(p, dtype=np.float64)
    return np.where(np.asarray(ood_flag, dtype=bool), np.maximum(p, ood_fraud_probability), p)


def realized_cost(
    *,
    action: str,
    is_fraud: bool,
    order_value: float,
    false_reject_cost: float,
    review_cost: float,
) -> float:
    """What an action actually cost once the truth is known."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    if action == "review":
        return float(review_cost)
    if action == "approve" and is_fraud:
        return float(order_value)
    if action == "reject" and not is_fraud:
        return float(false_reject_cost)
    return 0.0


def realized_costs_batch(
    actions: np.ndarray,
    is_fraud: np.ndarray,
    value: np.ndarray,
    false_reject_cost: float,
    review_cost: float,
) -> np.ndarray:
    """Row-wise realized_cost for arrays of actions, labels and order values."""
    actions = np.asarray(actions, dtype=object)
    unknown = set(actions) - set(ACTIONS)
    if unknown:
        raise ValueError(f"unknown actions: {', '.join(sorted(map(str, unknown)))}")
    is_fraud = np.asarray(is_fraud, dtype=bool)
    value = np.asarray(value, dtype=np.float64)
    return np.select(
        [actions == "review", (actions == "approve") & is_fraud, (actions == "reject") & ~is_fraud],
        [np.full(value.shape, float(review_cost)), value, np.full(value.shape, false_reject_cost)],
        default=0.0,
    )


def policy_row_costs(
    *,
    fraud_probability: np.ndarray,
    ood_flag: np.ndarray,
    order_value: np.ndarray,
    is_fraud: np.ndarray,
    false_reject_cost: float,
    review_cost: float,
    ood_fraud_probability: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Each return's action under the expected-cost policy and what it really cost."""
    p = ood_adjusted_probability(fraud_probability, ood_flag, ood_fraud_probability)
    actions = cheapest_actions(expected_costs_batch(p, order_value, false_reject_cost, review_cost))
    costs = realized_costs_batch(actions, is_fraud, order_value, false_reject_cost, review_cost)
    return actions, costs


def policy_outcome(
    *,
    fraud_probability: np.ndarray,
    ood_flag: np.ndarray,
    order_value: np.ndarray,
    is_fraud: np.ndarray,
    false_reject_cost: float,
    review_cost: float,
    ood_fraud_probability: float,
) -> dict:
    """Cost per return of deciding each return by expected cost, against approving everything."""
    actions, costs = policy_row_costs(
        fraud_probability=fraud_probability,
        ood_flag=ood_flag,
        order_value=order_value,
        is_fraud=is_fraud,
        false_reject_cost=false_reject_cost,
        review_cost=review_cost,
        ood_fraud_probability=ood_fraud_probability,
    )
    approve_all = realized_costs_batch(
        np.full(len(actions), "approve", dtype=object),
        is_fraud,
        order_value,
        false_reject_cost,
        review_cost,
    )
    return {
        "cost_per_return_policy": float(costs.mean()),
        "cost_per_return_approve_all": float(approve_all.mean()),
        "action_mix": {action: float(np.mean(actions == action)) for action in ACTIONS},
    }
