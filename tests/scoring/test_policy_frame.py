"""The policy over a frame of returns decides every row as `policy_decide` does, to the cent."""

from dataclasses import asdict, replace
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from scoring.policy import PolicySettings, ReturnFacts, policy_decide, policy_decide_frame

ANOMALY = {"code": "ood_anomaly", "text": "anomaly score above threshold"}
UNSEEN = {"code": "ood_unseen_value", "text": "payment_method 'Crypto' never seen in training"}
OUT_OF_RANGE = {"code": "ood_out_of_range", "text": "returns_velocity_30d 9 above 5"}
OOD_REASONS = [[ANOMALY], [UNSEEN], [OUT_OF_RANGE], [ANOMALY, OUT_OF_RANGE]]
THRESHOLD = 8.46
# Probabilities that land costs on exact half cents and on ties between actions.
ROUND_PROBABILITIES = [0.0, 0.02, 0.1, 0.25, 1 / 3, 0.5, 0.7, 0.75, 0.9, 1.0]
SETTINGS = [
    PolicySettings(
        false_reject_cost=Decimal("200.00"),
        review_cost=Decimal("50.00"),
        ood_fraud_probability=0.7,
        review_capacity=40,
        hold_velocity=4,
    ),
    PolicySettings(
        false_reject_cost=Decimal("200.00"),
        review_cost=Decimal("50.00"),
        ood_fraud_probability=0.5,
    ),
    PolicySettings(
        false_reject_cost=Decimal("149.99"),
        review_cost=Decimal("35.55"),
        ood_fraud_probability=0.9,
        review_capacity=0,
        hold_velocity=2,
    ),
    PolicySettings(
        false_reject_cost=Decimal("0.00"),
        review_cost=Decimal("0.00"),
        ood_fraud_probability=1.0,
        review_capacity=7,
        hold_velocity=1,
    ),
]
# Reason codes the frame reports as flags; the rest (which reason leads) is the row path's.
FLAGS = (
    "ood_pessimistic",
    "budget_exceeded",
    "account_exposure",
    "portfolio_budget_exceeded",
    "review_capacity",
    "customer_hold",
    "audit_sample",
)


def cents(rng, low, high) -> Decimal:
    return Decimal(int(rng.integers(round(low * 100), round(high * 100) + 1))) / 100


def situation(rng, settings: PolicySettings) -> ReturnFacts:
    ood = rng.random() < 0.35
    capacity = settings.review_capacity or 40
    return ReturnFacts(
        order_value=cents(rng, 1, 3000) if rng.random() < 0.2 else cents(rng, 1, 300),
        fraud_probability=float(
            rng.choice(ROUND_PROBABILITIES) if rng.random() < 0.3 else rng.random() ** 3
        ),
        ood=ood,
        ood_reasons=OOD_REASONS[rng.integers(len(OOD_REASONS))] if ood else [],
        ood_score=THRESHOLD + float(rng.uniform(-2, 9)),
        ood_threshold=THRESHOLD,
        ood_novelty_share=float(rng.choice([0.0, 1.0, rng.random()])),
        returns_velocity_30d=int(rng.integers(0, 12)),
        booked_loss=cents(rng, 0, 80),
        budget=None if rng.random() < 0.2 else cents(rng, 0, 100),
        portfolio_booked=cents(rng, 0, 3000),
        portfolio_budget=[None, Decimal("0.00"), Decimal("2000.00"), cents(rng, 1, 3000)][
            rng.choice(4, p=[0.25, 0.05, 0.4, 0.3])
        ],
        payment_method="PayPal",
        hold_mode=[None, "review", "reject"][rng.choice(3, p=[0.85, 0.075, 0.075])],
        audit_base_rate=0.0 if rng.random() < 0.3 else float(rng.uniform(0, 0.4)),
        audit_draw=float(rng.random()),
        audits_left=int(rng.integers(0, 3)),
        reviews_opened=int(rng.integers(0, capacity + 3)),
        open_case=bool(rng.random() < 0.15),
    )


@pytest.fixture(scope="module")
def situations():
    rng = np.random.default_rng(20261130)
    return [(settings, situation(rng, settings)) for settings in SETTINGS for _ in range(1_000)]


def test_the_frame_decides_and_prices_every_row_as_policy_decide(situations):
    mismatches, decided = [], []
    for settings in SETTINGS:
        facts = [f for s, f in situations if s is settings]
        frame = policy_decide_frame(pd.DataFrame([asdict(f) for f in facts]), settings)
        decided.append(frame)
        for given, row in zip(facts, frame.itertuples(index=False), strict=True):
            outcome = policy_decide(given, settings)
            codes = {reason["code"] for reason in outcome.reasons}
            expected = {
                "action": outcome.action,
                "probability_used": outcome.probability_used,
                "cost_approve": outcome.costs["approve"],
                "cost_reject": outcome.costs["reject"],
                "cost_review": outcome.costs["review"],
                "expected_loss": outcome.expected_loss,
                "exposure": outcome.exposure,
                "portfolio_lambda": Decimal(outcome.prices["portfolio_lambda"]),
                "joins_case": outcome.joins_case,
                **{flag: flag in codes for flag in FLAGS},
            }
            got = {name: getattr(row, name) for name in expected}
            got["portfolio_lambda"] = got["portfolio_lambda"].quantize(Decimal("0.0001"))
            if got != expected:
                mismatches.append((given, settings, got, expected))
    assert mismatches == []

    # Every situation the policy prices was met, most of them many times.
    frame = pd.concat(decided)
    assert len(frame) == 4_000
    assert frame["action"].value_counts().min() > 200
    for flag in FLAGS:
        assert frame[flag].sum() > 50, flag
    facts = [f for _, f in situations]
    assert sum(f.ood and "ood_anomaly" in {r["code"] for r in f.ood_reasons} for f in facts) > 300
    assert sum(f.ood and f.ood_reasons[0]["code"] != "ood_anomaly" for f in facts) > 300
    assert frame["joins_case"].sum() > 50
    assert (frame["cost_review"] > Decimal("50.00")).sum() > 20  # a review priced near capacity
    assert (frame["cost_approve"] == frame["cost_review"]).sum() > 5  # ties
    for column in ("cost_approve", "cost_reject", "cost_review", "expected_loss", "exposure"):
        assert all(cost == cost.quantize(Decimal("0.01")) for cost in frame[column])


def test_amounts_as_floats_price_as_the_decimals_they_print_as(situations):
    settings = SETTINGS[0]
    facts = pd.DataFrame([asdict(f) for s, f in situations if s is settings])
    amounts = ["order_value", "booked_loss", "budget", "portfolio_booked", "portfolio_budget"]
    floats = facts.assign(**{name: facts[name].astype(float) for name in amounts})
    assert floats["budget"].isna().any()
    pd.testing.assert_frame_equal(
        policy_decide_frame(floats, settings), policy_decide_frame(facts, settings)
    )


def test_missing_columns_take_the_defaults_of_return_facts():
    frame = pd.DataFrame(
        {"order_value": [Decimal("400.00")], "fraud_probability": [0.3], "ood": [False]}
    )
    decided = policy_decide_frame(frame, SETTINGS[0])
    outcome = policy_decide(
        ReturnFacts(order_value=Decimal("400.00"), fraud_probability=0.3, ood=False), SETTINGS[0]
    )
    assert decided.loc[0, "action"] == outcome.action == "review"
    assert decided.loc[0, "cost_approve"] == outcome.costs["approve"] == Decimal("120.00")


def test_an_empty_frame_decides_nothing_and_a_frame_without_probabilities_is_refused():
    empty = pd.DataFrame({"order_value": [], "fraud_probability": [], "ood": []})
    assert policy_decide_frame(empty, SETTINGS[0]).empty
    with pytest.raises(ValueError, match="fraud_probability"):
        policy_decide_frame(pd.DataFrame({"order_value": [1.0], "ood": [False]}), SETTINGS[0])


def test_rule_floors_and_forced_actions_decide_the_frame_as_policy_decide(situations):
    rng = np.random.default_rng(15)
    settings = SETTINGS[0]
    facts = [
        replace(
            f,
            probability_floor=float(rng.choice([0.0, 0.05, 0.25, 0.9])),
            approve_floor=Decimal(str(rng.choice([0, 10, 60]))),
            forced_action=[None, None, "approve", "review", "reject"][rng.integers(5)],
        )
        for s, f in situations
        if s is settings
    ]
    frame = policy_decide_frame(pd.DataFrame([asdict(f) for f in facts]), settings)
    for given, row in zip(facts, frame.itertuples(index=False), strict=True):
        outcome = policy_decide(given, settings)
        assert (row.action, row.probability_used, row.cost_approve) == (
            outcome.action,
            outcome.probability_used,
            outcome.costs["approve"],
        ), given
