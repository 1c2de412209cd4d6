"""Training's held-out cost figures and retraining's hold-out, priced by the workers' policy."""

from decimal import Decimal

import numpy as np
import pytest
from django.conf import settings

from ml.generate import generate_returns
from ml.history import with_desk_view
from ml.inference import score_returns
from ml.schema import COLUMNS, FEATURES, read_returns_csv
from ml.train import TrainingConfig
from scoring.constants import OOD_RATE_PRIOR_RETURNS
from scoring.policy import (
    PolicySettings,
    ReturnFacts,
    ood_novelty_share,
    policy_decide,
    score_facts,
)
from scoring.services.training import holdout_decide, model_train
from scoring.services.tuning import cost_settings_update

HOLDING = PolicySettings(
    false_reject_cost=Decimal("200.00"),
    review_cost=Decimal("50.00"),
    ood_fraud_probability=0.7,
    hold_velocity=4,
)


@pytest.fixture(scope="module")
def returns():
    return generate_returns(rows=4_000, scenario="normal", seed=5)[list(COLUMNS)]


@pytest.mark.django_db
def test_the_training_report_prices_its_held_out_rows_with_the_published_settings(returns):
    report = model_train(data=returns, config=TrainingConfig(random_state=0)).report
    assert report["priced_with"] == {
        "false_reject_cost": "200.00",
        "review_cost": "50.00",
        "ood_fraud_probability": 0.7,
        "hold_velocity": 4,
    }
    assert report["cost_per_return_policy"] < report["cost_per_return_approve_all"]
    assert sum(report["action_mix"].values()) == pytest.approx(1.0)

    cost_settings_update(actor=None, values={"review_cost": Decimal("1.00")})
    cheap = model_train(data=returns, config=TrainingConfig(random_state=0)).report
    assert cheap["priced_with"]["review_cost"] == "1.00"
    assert cheap["action_mix"]["review"] > report["action_mix"]["review"]
    assert cheap["cost_per_return_approve_all"] == report["cost_per_return_approve_all"]


def test_the_hold_out_is_decided_return_by_return_as_the_workers_decide(trained_bundle):
    severe = with_desk_view(read_returns_csv(settings.SHARED_DATASETS / "returns_severe_drift.csv"))
    holdout = severe.iloc[np.r_[4_500:5_200:2]]  # ordinary returns, then the ring's
    decided = holdout_decide(bundle=trained_bundle, holdout=holdout, settings=HOLDING)

    scores = score_returns(trained_bundle, holdout[list(FEATURES)])
    share = ood_novelty_share(
        flagged=int(scores.ood_flag.sum()),
        total=len(holdout),
        false_alarm_rate=trained_bundle.ood_gate.target_false_alarm_rate,
        prior_returns=OOD_RATE_PRIOR_RETURNS,
    )
    threshold = float(trained_bundle.ood_gate.threshold_)
    for i, row in enumerate(holdout.itertuples(index=False)):
        facts = ReturnFacts(
            **score_facts(scores, i, ood_threshold=threshold, ood_novelty_share=share),
            order_value=Decimal(repr(row.order_value)),
            returns_velocity_30d=row.returns_velocity_30d,
        )
        outcome = policy_decide(facts, HOLDING)
        assert decided["action"].iloc[i] == outcome.action
        assert decided["cost_approve"].iloc[i] == outcome.costs["approve"]
    assert {"approve", "review"} <= set(decided["action"])
    assert decided["account_exposure"].sum() > 0
