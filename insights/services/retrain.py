"""Retraining from labels: a challenger learns from the original data plus labelled returns and
replaces the active model only if it is cheaper on the most recent labels it never saw.

The hold-out is time-ordered (the newest quarter of labelled returns by when they were first
labelled), so the comparison asks what a deployment would: does the model trained on the past
do better on what came next. Both models are priced the way the workers decide, with
scoring.policy and the current policy version, so the contest is the one production plays.
"""

import dataclasses
import logging
import math
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from django.db import transaction

from insights.models import ModelComparison
from insights.selectors import labelled_returns_newest
from ml.drift import drift_reference
from ml.economics import ACTIONS
from ml.history import with_desk_view
from ml.metrics import expected_calibration_error
from ml.schema import COLUMNS, DESK_FEATURES, LABEL, read_returns_csv
from ml.train import TrainedBundle, TrainingConfig
from scoring.constants import (
    AUDIT_SAMPLE_WEIGHT,
    DRIFT_BINS,
    RETRAIN_HOLDOUT_FRACTION,
    RETRAIN_MIN_HOLDOUT,
)
from scoring.services.models import model_active, model_version_activate, model_version_register
from scoring.services.policies import (
    policy_settings_from,
    policy_version_current,
)
from scoring.services.training import holdout_decide, model_train

logger = logging.getLogger(__name__)

FOUR_PLACES = Decimal("0.0001")
BOOTSTRAP_RESAMPLES = 2000


class NotEnoughLabels(Exception):
    """Too few labelled returns for a hold-out whose costs would mean anything."""


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows,
        columns=[*COLUMNS, *DESK_FEATURES, "is_audit_sample", "audit_probability", "observed_at"],
    )
    return frame.astype(
        {
            "order_value": "float64",
            "return_ratio": "float64",
            LABEL: "int64",
            "is_audit_sample": "bool",
            "audit_probability": "float64",
        }
    )


def audit_copies(probability: pd.Series) -> np.ndarray:
    """How many times each audit-sample row enters training: AUDIT_SAMPLE_WEIGHT on average,
    each in proportion to the inverse of its inclusion probability, so returns the sample
    favoured (cheap to check) stand for no more approvals than they are. Rows sampled before
    probabilities were recorded count as the average."""
    inverse = 1.0 / probability.where(probability > 0)
    inverse = inverse.fillna(inverse.mean() if inverse.notna().any() else 1.0)
    if inverse.empty:
        return np.zeros(0, dtype=int)
    copies = np.rint(AUDIT_SAMPLE_WEIGHT * inverse / inverse.mean()).astype(int)
    return np.maximum(copies.to_numpy(), 1)


def training_sets_build(
    *, base: pd.DataFrame, labelled: list[dict], holdout_fraction: float
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(training frame, hold-out frame, sizes) from the original data and labelled returns.

    `labelled` is oldest first; the newest `holdout_fraction` of it is the hold-out.
    """
    n_holdout = math.ceil(len(labelled) * holdout_fraction)
    if n_holdout < RETRAIN_MIN_HOLDOUT:
        raise NotEnoughLabels(
            f"{len(labelled)} labelled returns give a hold-out of {n_holdout}; "
            f"at least {RETRAIN_MIN_HOLDOUT} are needed"
        )
    learn, holdout = _frame(labelled[:-n_holdout]), _frame(labelled[-n_holdout:])
    # Labels come mostly from reviewed cases: the risky, the unusual, the over-budget. Trained
    # on those alone a model would learn that returns are riskier than they are. The audit
    # sample is a random draw of would-be approvals, the one unbiased slice of labelled
    # traffic, so it counts AUDIT_SAMPLE_WEIGHT times on average (`audit_copies`). Repeating
    # rows rather than passing sample weights, because ml.train (a stratified split, then
    # calibration on folds) takes none; a few copies may land on both sides of its internal
    # split, which only flatters ml.train's own report, never the time-ordered hold-out that
    # decides here.
    audit = learn[learn["is_audit_sample"]]
    extra = audit.loc[audit.index.repeat(audit_copies(audit["audit_probability"]) - 1)]
    weighted = pd.concat([learn, extra], ignore_index=True)
    # The original file's desk features come from its own order; the labelled returns carry
    # the ones the worker computed from the desk's history.
    columns = [*COLUMNS, *DESK_FEATURES]
    training = pd.concat([with_desk_view(base)[columns], weighted[columns]], ignore_index=True)
    sizes = {
        "base_rows": len(base),
        "labelled_returns": len(labelled),
        "labelled_in_training": len(learn),
        "audit_sample_in_training": len(audit),
        "audit_sample_weight": AUDIT_SAMPLE_WEIGHT,
        "audit_sample_in_holdout": int(holdout["is_audit_sample"].sum()),
        "training_rows": len(training),
        "holdout_fraud_rate": float(holdout[LABEL].mean()),
        "holdout_from": holdout["observed_at"].min().isoformat(),
        "holdout_to": holdout["observed_at"].max().isoformat(),
    }
    return training, holdout, sizes


def holdout_evaluate(*, bundle: TrainedBundle, holdout: pd.DataFrame, settings) -> dict:
    """Realized cost per return, ECE and Brier of a model on the hold-out, each return decided
    by the policy as a worker would (`holdout_decide`: graded OOD distrust, the account exposure
    of frequent returners, the live settings).
    """
    decided = holdout_decide(bundle=bundle, holdout=holdout, settings=settings)
    y = holdout[LABEL].to_numpy()
    p = decided["fraud_probability"].to_numpy(dtype=float)
    row_costs = decided["cost"].to_numpy(dtype=float)
    return {
        "cost": Decimal(repr(float(row_costs.mean()))).quantize(FOUR_PLACES, ROUND_HALF_UP),
        "row_costs": row_costs,
        "ece": expected_calibration_error(y, p),
        "brier": float(np.mean((p - y) ** 2)),
        "action_mix": {action: float(np.mean(decided["action"] == action)) for action in ACTIONS},
    }


def saving_lower_bound(
    champion_costs: np.ndarray, challenger_costs: np.ndarray, *, seed: int
) -> Decimal:
    """The saving per return the challenger beats with 95% confidence (paired bootstrap).

    A hold-out of a few dozen returns swings the mean cost by far more than the margin; the
    promotion asks for the saving to be above zero at this bound, not only on average.
    """
    differences = np.asarray(champion_costs, dtype=float) - np.asarray(challenger_costs, float)
    rng = np.random.default_rng(seed)
    samples = rng.integers(0, len(differences), size=(BOOTSTRAP_RESAMPLES, len(differences)))
    means = differences[samples].mean(axis=1)
    bound = float(np.quantile(means, 0.05))
    return Decimal(repr(bound)).quantize(FOUR_PLACES, ROUND_HALF_UP)


def _reason(
    *, saving: Decimal, bound: Decimal, margin: Decimal, promoted: bool, n: int, champion
) -> str:
    on = f"on {n} held-out labelled returns"
    sure = f"(at least ${bound:.4f} with 95% confidence)"
    if promoted:
        return (
            f"Promoted: the challenger saves ${saving:.4f} per return {on} {sure}, "
            f"at least the margin of ${margin:.4f}."
        )
    if saving < 0:
        why = f"costs ${-saving:.4f} more per return {on}"
    elif saving == 0:
        why = f"costs the same per return {on}"
    elif saving < margin:
        why = f"saves only ${saving:.4f} per return {on}, less than the margin of ${margin:.4f}"
    else:
        why = (
            f"saves ${saving:.4f} per return {on}, but that could be chance: with 95% "
            f"confidence the saving is only above ${bound:.4f}"
        )
    return f"Kept {champion.version}: the challenger {why}."


def model_retrain(
    *,
    base: Path,
    margin: Decimal,
    actor=None,
    random_state: int = 0,
    progress: Callable[[str], None] | None = None,
) -> ModelComparison:
    """Trains a challenger on `base` plus the labelled returns, compares it with the active
    model on the hold-out, and activates it when it saves at least `margin` per return.

    Raises NotEnoughLabels (nothing is trained or stored) when the hold-out would be too small.
    """
    if margin < 0:
        raise ValueError("the margin is a saving per return: zero or more")
    say = progress or (lambda message: None)
    champion, champion_bundle = model_active()
    # Both models are priced by the settings the workers decide with now.
    policy = policy_version_current()
    settings = policy_settings_from(policy.snapshot)
    training, holdout, sizes = training_sets_build(
        base=read_returns_csv(base),
        labelled=labelled_returns_newest(),
        holdout_fraction=RETRAIN_HOLDOUT_FRACTION,
    )
    say(
        f"training on {sizes['training_rows']:,} rows ({sizes['base_rows']:,} from {base.name}, "
        f"{sizes['labelled_in_training']:,} labelled); hold-out {len(holdout):,} labelled returns"
    )
    bundle = model_train(
        data=training, config=TrainingConfig(random_state=random_state), progress=say
    )
    # Drift is watched against what the model learned from; repeated audit rows counted once.
    reference = drift_reference(training.drop_duplicates(), model=bundle.model, bins=DRIFT_BINS)
    bundle = dataclasses.replace(
        bundle, feature_schema={**bundle.feature_schema, "drift_reference": reference}
    )
    say("comparing with the active model on the hold-out")
    challenger_scores = holdout_evaluate(bundle=bundle, holdout=holdout, settings=settings)
    champion_scores = holdout_evaluate(bundle=champion_bundle, holdout=holdout, settings=settings)
    saving = champion_scores["cost"] - challenger_scores["cost"]
    bound = saving_lower_bound(
        champion_scores.pop("row_costs"), challenger_scores.pop("row_costs"), seed=random_state
    )
    # Lower by at least the margin on average, and lower at all with 95% confidence; with a
    # zero margin a tie still keeps the champion.
    promoted = saving > 0 and saving >= margin and bound > 0
    with transaction.atomic():
        challenger = model_version_register(
            bundle=bundle,
            training_data=f"{base.name} + {sizes['labelled_in_training']} labelled returns",
            actor=actor,
            activate=False,
        )
        comparison = ModelComparison.objects.create(
            challenger=challenger,
            champion=champion,
            holdout_size=len(holdout),
            challenger_cost=challenger_scores["cost"],
            champion_cost=champion_scores["cost"],
            challenger_ece=challenger_scores["ece"],
            champion_ece=champion_scores["ece"],
            challenger_brier=challenger_scores["brier"],
            champion_brier=champion_scores["brier"],
            margin=margin,
            promoted=promoted,
            reason=_reason(
                saving=saving,
                bound=bound,
                margin=margin,
                promoted=promoted,
                n=len(holdout),
                champion=champion,
            ),
            details={
                **sizes,
                "saving_lower_bound_95": str(bound),
                "challenger_action_mix": challenger_scores["action_mix"],
                "champion_action_mix": champion_scores["action_mix"],
                "policy_version": policy.pk,
                "costs": {
                    "false_reject_cost": str(settings.false_reject_cost),
                    "review_cost": str(settings.review_cost),
                    "ood_fraud_probability": settings.ood_fraud_probability,
                    "hold_velocity": settings.hold_velocity,
                },
            },
        )
        if promoted:
            model_version_activate(version=challenger.version, actor=actor)
    logger.info("retrained %s: %s", challenger.version, comparison.reason)
    return comparison
