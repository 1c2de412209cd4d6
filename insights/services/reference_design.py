"""The reference design this desk is measured against, priced on the same returns as a replay.

The calibrated model's probability priced by the policy at the replay's costs (no OOD distrust,
no account exposure, no day-level limits), every OOD return to review, and each customer's
budget (the replay's, `--budget` included) on booked expected loss forcing review; no ledger
corrections, no holds.
"""

from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

import numpy as np
import pandas as pd

from budgets.selectors import budget_for
from scoring.policy import budget_breached, policy_decide_frame
from scoring.services.policies import policy_settings_from


def reference_actions(ordered, scores, snapshot: dict) -> np.ndarray:
    """The reference design's action for each of `ordered` (decided returns, in arrival order)."""
    settings = replace(policy_settings_from(snapshot), hold_velocity=None)
    decided = policy_decide_frame(
        pd.DataFrame(
            {
                "order_value": [r.order_value for r in ordered],
                "fraud_probability": scores.fraud_probability,
                "ood": False,
            }
        ),
        settings,
    )
    actions = np.where(np.asarray(scores.ood_flag, dtype=bool), "review", decided["action"])
    actions = actions.astype(object)
    losses = decided["expected_loss"].to_numpy()
    booked = defaultdict(Decimal)
    for i, r in enumerate(ordered):
        if actions[i] != "approve":
            continue
        budget = budget_for(
            budgets=snapshot["budgets"],
            client_name=r.client.name,
            customer_id=r.customer.external_id,
            payment_method=r.payment_method,
            product_category=r.product_category,
        )
        if budget_breached(
            booked_loss=booked[r.customer_id], expected_loss=losses[i], budget=budget
        ):
            actions[i] = "review"
        else:
            booked[r.customer_id] += losses[i]
    return actions
