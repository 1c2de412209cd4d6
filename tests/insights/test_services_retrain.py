"""Retraining from labels behind a promotion gate, end to end: replay, labels, challenger, verdict.

The replay runs the severe-drift file through the live decision code with the oracle reviewer,
in batches of 250 as the workers claim them, so the mimicry ring's later returns reach review
before its accounts are held. The newest quarter of labels (the hold-out) is then all ring;
the challenger has seen the ring's earlier labels, the champion has not.
"""

import math
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from insights.models import ModelComparison
from insights.selectors import labelled_returns_newest
from insights.services.replay import ReplayOverrides, replay_run, replay_start
from insights.services.retrain import (
    NotEnoughLabels,
    audit_copies,
    holdout_evaluate,
    model_retrain,
    saving_lower_bound,
    training_sets_build,
)
from insights.tasks import retrain_model
from ml.history import with_desk_view
from ml.schema import COLUMNS, DESK_FEATURES
from scoring.constants import AUDIT_SAMPLE_WEIGHT, PROMOTION_MARGIN
from scoring.models import ModelVersion
from scoring.policy import PolicySettings
from tests.factories import LabelFactory

DATASETS = settings.SHARED_DATASETS
BASE = DATASETS / "returns_normal.csv"

pytestmark = pytest.mark.django_db


@pytest.fixture
def replayed(active_model, trained_bundle):
    """The severe-drift file replayed with the oracle reviewer; its verdicts are the labels."""
    replay_run(
        data=DATASETS / "returns_severe_drift.csv",
        model_version=active_model,
        bundle=trained_bundle,
        overrides=ReplayOverrides(),
        start=replay_start(5200, 1000),
        review_every=250,
    )
    return active_model


def test_challenger_that_catches_the_ring_is_promoted_and_can_be_rolled_back(replayed):
    comparison = model_retrain(base=BASE, margin=PROMOTION_MARGIN)

    saving = comparison.champion_cost - comparison.challenger_cost
    assert saving >= PROMOTION_MARGIN
    assert comparison.promoted
    assert comparison.champion == replayed
    bound = Decimal(comparison.details["saving_lower_bound_95"])
    assert Decimal("0") < bound <= saving
    assert comparison.reason == (
        f"Promoted: the challenger saves ${saving:.4f} per return on "
        f"{comparison.holdout_size} held-out labelled returns (at least ${bound:.4f} with 95% "
        "confidence), at least the margin of $0.0500."
    )
    assert comparison.holdout_size == math.ceil(comparison.details["labelled_returns"] / 4)
    # Calibration is recorded beside the cost; on an all-fraud hold-out it follows the cost.
    assert comparison.challenger_ece < comparison.champion_ece
    assert comparison.challenger_brier < comparison.champion_brier
    assert ModelVersion.objects.get(is_active=True) == comparison.challenger
    assert "drift_reference" in comparison.challenger.feature_schema

    call_command("activate_model", "--rollback")
    assert ModelVersion.objects.get(is_active=True) == replayed


def test_challenger_short_of_the_margin_is_registered_but_not_activated(replayed):
    comparison = model_retrain(base=BASE, margin=Decimal("1000"))

    saving = comparison.champion_cost - comparison.challenger_cost
    assert not comparison.promoted
    assert comparison.reason == (
        f"Kept {replayed.version}: the challenger saves only ${saving:.4f} per return on "
        f"{comparison.holdout_size} held-out labelled returns, less than the margin of "
        "$1000.0000."
    )
    assert ModelVersion.objects.get(is_active=True) == replayed
    assert not comparison.challenger.is_active
    assert ModelComparison.objects.get() == comparison


def test_too_few_labels_trains_nothing(active_model):
    with pytest.raises(NotEnoughLabels, match="0 labelled returns give a hold-out of 0"):
        model_retrain(base=BASE, margin=PROMOTION_MARGIN)
    assert ModelVersion.objects.count() == 1
    assert not ModelComparison.objects.exists()


def test_audit_rows_count_in_inverse_proportion_to_their_chance_of_being_sampled():
    # 1/p = 100 and 50; the row sampled before chances were recorded counts as the mean, 75.
    copies = audit_copies(pd.Series([0.01, 0.02, float("nan")]))
    assert list(copies) == [7, 3, 5]
    assert copies.mean() == AUDIT_SAMPLE_WEIGHT


def test_the_hold_out_is_priced_as_the_workers_decide(trained_bundle):
    # A frequent returner paying with an unseen method: the workers price approving it with
    # the returns it leaves open (0.7 x (25 + 7 x 25) = $140) and review it; a flat OOD floor
    # alone (0.7 x $25 = $17.50) would approve it.
    row = {
        "order_id": "H-1",
        "customer_id": "C-1",
        "order_value": 25.0,
        "product_category": "Beauty",
        "return_ratio": 0.1,
        "returns_velocity_30d": 7,
        "days_since_purchase": 3,
        "payment_method": "Crypto",
        "is_fraud": 1,
    }
    settings = PolicySettings(
        false_reject_cost=Decimal("200"),
        review_cost=Decimal("50"),
        ood_fraud_probability=0.7,
        hold_velocity=4,
    )

    scores = holdout_evaluate(
        bundle=trained_bundle,
        # The customer's first return the desk has seen: its own view of them is empty.
        holdout=with_desk_view(pd.DataFrame([row]))[[*COLUMNS, *DESK_FEATURES]],
        settings=settings,
    )

    assert scores["action_mix"]["review"] == 1.0
    assert scores["cost"] == Decimal("50.0000")


def test_a_negative_margin_is_refused(active_model):
    with pytest.raises(ValueError, match="zero or more"):
        model_retrain(base=BASE, margin=Decimal("-1"))


def _labelled(n, *, audit_every=0):
    start = timezone.now() - timedelta(days=n)
    return [
        {
            "order_id": f"L-{i}",
            "customer_id": f"C-{i}",
            "order_value": Decimal("50.00"),
            "product_category": "Toys",
            "return_ratio": 0.1,
            "returns_velocity_30d": 0,
            "days_since_purchase": 3,
            "payment_method": "PayPal",
            "is_fraud": i % 2,
            "is_audit_sample": bool(audit_every) and i % audit_every == 0,
            "observed_at": start + timedelta(days=i),
        }
        for i in range(n)
    ]


def test_newest_quarter_is_held_out_and_audit_labels_count_several_times():
    base = pd.DataFrame([dict.fromkeys(COLUMNS, 0)] * 10)
    labelled = _labelled(100, audit_every=10)

    training, holdout, sizes = training_sets_build(
        base=base, labelled=labelled, holdout_fraction=0.25
    )

    assert list(holdout["order_id"]) == [f"L-{i}" for i in range(75, 100)]
    assert not set(holdout["order_id"]) & set(training["order_id"])
    # 75 labelled rows in training, 8 of them audit samples (0, 10, …, 70) counted 5 times each.
    assert sizes["audit_sample_in_training"] == 8
    assert len(training) == 10 + 75 + 8 * (AUDIT_SAMPLE_WEIGHT - 1)
    assert (training["order_id"] == "L-10").sum() == AUDIT_SAMPLE_WEIGHT
    assert (training["order_id"] == "L-11").sum() == 1
    assert list(training.columns) == [*COLUMNS, *DESK_FEATURES]


@pytest.mark.parametrize(
    ("args", "message"),
    [((), "hold-out of 0; at least 20"), (("--margin", "-0.01"), "zero or more")],
)
def test_retrain_command_explains_why_it_did_nothing(active_model, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("retrain", *args)


def test_weekly_task_skips_quietly_without_labels(active_model):
    retrain_model()
    assert not ModelComparison.objects.exists()


def test_comparisons_are_read_only_in_the_admin():
    from django.contrib import admin

    model_admin = admin.site._registry[ModelComparison]
    assert not model_admin.has_add_permission(None)
    assert not model_admin.has_change_permission(None)
    assert not model_admin.has_delete_permission(None)


def test_a_saving_that_could_be_chance_is_not_a_promotion():
    # Same mean saving, different spread: one return saving a lot, the rest losing a little.
    steady = np.full(40, 0.5)
    lumpy = np.r_[np.full(39, -0.1), 23.9]
    assert steady.mean() == pytest.approx(lumpy.mean())
    assert saving_lower_bound(steady, np.zeros(40), seed=0) == Decimal("0.5000")
    assert saving_lower_bound(lumpy, np.zeros(40), seed=0) < 0


def test_a_return_labelled_again_keeps_its_place_and_stays_out_of_later_hold_outs():
    start = timezone.now() - timedelta(days=30)
    labels = [LabelFactory(observed_at=start + timedelta(days=day)) for day in range(8)]
    early = labels[0]
    # Months later a chargeback arrives for the earliest return; its truth changes, not its place.
    LabelFactory(return_request=early.return_request, is_fraud=False, observed_at=timezone.now())
    rows = labelled_returns_newest()
    assert rows[0]["order_id"] == early.return_request.order_id
    assert rows[0]["is_fraud"] == 0
