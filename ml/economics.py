"""Expected and realized cost of approving, rejecting or reviewing a return: plain arithmetic.

Which action a return gets is the policy's to decide (scoring.policy), never this module's.
"""

import numpy as np

ACTIONS = ("approve", "reject", "review")


def expected_costs_batch(
    p: np.ndarray, value: np.ndarray, false_reject_cost: float, review_cost: float
) -> np.ndarray:
    """Expected cost of each action for many returns at probabilities `p`, shape (n, 3),
    columns in ACTIONS order.

    Approving loses the order value if the return is fraud; rejecting costs a wronged honest
    customer; a review costs the same either way because it ends with the true verdict.
    """
    p = np.asarray(p, dtype=np.float64)
    value = np.asarray(value, dtype=np.float64)
    return np.column_stack(
        [p * value, (1.0 - p) * false_reject_cost, np.full(p.shape, float(review_cost))]
    )


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


def costs_known_or_expected(
    actions: np.ndarray,
    *,
    labelled: np.ndarray,
    is_fraud: np.ndarray,
    probability: np.ndarray,
    value: np.ndarray,
    false_reject_cost: float,
    review_cost: float,
) -> tuple[np.ndarray, np.ndarray]:
    """What each action cost where that is known, else what it is expected to cost; and which
    are known. A labelled return's cost is known; so is a review's, whatever the truth."""
    actions = np.asarray(actions, dtype=object)
    realized = realized_costs_batch(actions, is_fraud, value, false_reject_cost, review_cost)
    expected = expected_costs_batch(probability, value, false_reject_cost, review_cost)
    columns = np.array([ACTIONS.index(a) for a in actions], dtype=int)
    estimate = expected[np.arange(len(actions)), columns] if len(actions) else np.zeros(0)
    known = np.asarray(labelled, dtype=bool) | (actions == "review")
    return np.where(known, realized, estimate), known
