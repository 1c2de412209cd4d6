"""Training a model and pricing labelled returns it never saw with the policy the workers use.

`ml` trains and measures the model (discrimination, calibration, the OOD gate); what its
decisions cost is the policy's to say, so it is priced here, in the scoring layer, by
`scoring.policy.policy_decide_frame` under the published settings: the training report's cost
figures and retraining's champion/challenger contest play the game production plays.
"""

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from intake.selectors import attribute_types_declared
from ml.economics import ACTIONS, realized_costs_batch
from ml.inference import score_returns
from ml.schema import LABEL, MODEL_ATTRIBUTE_TYPES, attribute_column
from ml.train import TrainedBundle, TrainingConfig, holdout_split, train
from scoring.constants import OOD_RATE_PRIOR_RETURNS
from scoring.policy import PolicySettings, ood_novelty_share, policy_decide_frame, score_facts
from scoring.services.policies import policy_settings_from, policy_version_current


def holdout_decide(
    *, bundle: TrainedBundle, holdout: pd.DataFrame, settings: PolicySettings
) -> pd.DataFrame:
    """Each labelled return of `holdout` scored by `bundle` and decided by the policy as a worker
    would: graded OOD distrust, the account exposure of frequent returners, `settings`.

    The desk's day-level limits (review capacity, portfolio budgets, the audit sample) and the
    customers' budgets are left out: they price the desk's day and its ledger, not the model.
    Returns policy_decide_frame's columns plus the model's own `fraud_probability` and `cost`,
    what each action really cost given the label.
    """
    scores = score_returns(bundle, holdout[list(bundle.model.input_columns())])
    # The gate's flag rate over the hold-out stands in for the recent rate a worker reads.
    novelty_share = ood_novelty_share(
        flagged=int(np.sum(scores.ood_flag)),
        total=len(holdout),
        false_alarm_rate=bundle.ood_gate.target_false_alarm_rate,
        prior_returns=OOD_RATE_PRIOR_RETURNS,
    )
    threshold = float(bundle.ood_gate.threshold_)
    facts = pd.DataFrame(
        [
            score_facts(scores, i, ood_threshold=threshold, ood_novelty_share=novelty_share)
            for i in range(len(holdout))
        ],
        index=holdout.index,
    )
    for name in ("order_value", "returns_velocity_30d", "payment_method"):
        facts[name] = holdout[name]
    decided = policy_decide_frame(facts, settings)
    decided["fraud_probability"] = facts["fraud_probability"]
    decided["cost"] = realized_costs_batch(
        decided["action"].to_numpy(),
        holdout[LABEL].to_numpy(dtype=bool),
        holdout["order_value"].to_numpy(dtype=float),
        float(settings.false_reject_cost),
        float(settings.review_cost),
    )
    return decided


def training_attributes(*, columns) -> tuple[tuple[str, str], ...]:
    """The declared attributes a model learns from, given a training file's `columns`: each
    active attribute the file has as `attr_<name>`. An identifier (a device id) enters only as
    the number of other customers sharing it (ml.history.identifier_sharing)."""
    return tuple(
        (name, kind)
        for name, kind in sorted(attribute_types_declared().items())
        if kind in MODEL_ATTRIBUTE_TYPES and attribute_column(name) in columns
    )


def model_train(
    *,
    data: pd.DataFrame,
    config: TrainingConfig,
    progress: Callable[[str], None] | None = None,
) -> TrainedBundle:
    """ml.train on `data`, its report completed with what the model's decisions cost on the
    held-out rows under the published policy settings, against approving them all.

    Raises ValueError (before reading any settings) for data the model cannot learn from.
    """
    bundle = train(data, config, progress=progress)
    settings = policy_settings_from(policy_version_current().snapshot)
    _, holdout = holdout_split(data, config)
    decided = holdout_decide(bundle=bundle, holdout=holdout, settings=settings)
    approve_all = realized_costs_batch(
        np.full(len(holdout), "approve", dtype=object),
        holdout[LABEL].to_numpy(dtype=bool),
        holdout["order_value"].to_numpy(dtype=float),
        float(settings.false_reject_cost),
        float(settings.review_cost),
    )
    economics = {
        "cost_per_return_policy": float(decided["cost"].mean()),
        "cost_per_return_approve_all": float(approve_all.mean()),
        "action_mix": {action: float((decided["action"] == action).mean()) for action in ACTIONS},
        "priced_with": {
            "false_reject_cost": str(settings.false_reject_cost),
            "review_cost": str(settings.review_cost),
            "ood_fraud_probability": settings.ood_fraud_probability,
            "hold_velocity": settings.hold_velocity,
        },
    }
    return replace(bundle, report={**bundle.report, **economics})
