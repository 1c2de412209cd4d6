"""The expected-cost policy, case by case: the action and the reason text for each situation."""

import math
from dataclasses import replace
from decimal import Decimal

import pytest

from scoring.policy import PolicySettings, ReturnFacts, ood_novelty_share, policy_decide

PEER_COSTS = PolicySettings(
    false_reject_cost=Decimal("200.00"), review_cost=Decimal("50.00"), ood_fraud_probability=0.7
)
UNSEEN = [{"code": "ood_unseen_value", "text": "payment_method 'Crypto' never seen in training"}]


def facts(**overrides):
    base = {
        "order_value": Decimal("100.00"),
        "fraud_probability": 0.02,
        "ood": False,
        "budget": Decimal("50.00"),
        "portfolio_budget": Decimal("2000.00"),
        "payment_method": "Credit Card",
    }
    return ReturnFacts(**{**base, **overrides})


CASES = [
    # (name, facts, expected action, expected first reason code)
    ("ordinary return approved", facts(), "approve", "expected_cost"),
    (
        "cheap novel return approved",
        facts(order_value=Decimal("15.00"), ood=True, ood_reasons=UNSEEN),
        "approve",
        "ood_unseen_value",
    ),
    (
        "expensive novel return reviewed",
        facts(order_value=Decimal("2000.00"), ood=True, ood_reasons=UNSEEN),
        "review",
        "uncertain",
    ),
    (
        "likely fraud at high value rejected",
        facts(order_value=Decimal("900.00"), fraud_probability=0.9),
        "reject",
        "expected_cost",
    ),
    (
        "uncertain mid value reviewed",
        facts(order_value=Decimal("400.00"), fraud_probability=0.3),
        "review",
        "uncertain",
    ),
    (
        "budget breach reviewed",
        facts(order_value=Decimal("46.00"), fraud_probability=0.4, booked_loss=Decimal("46.20")),
        "review",
        "budget_exceeded",
    ),
    (
        "budget exactly reached still approved",
        facts(order_value=Decimal("10.00"), fraud_probability=0.5, booked_loss=Decimal("45.00")),
        "approve",
        "expected_cost",
    ),
    (
        "portfolio breach reviewed",
        facts(fraud_probability=0.1, portfolio_booked=Decimal("1995.00")),
        "review",
        "portfolio_budget_exceeded",
    ),
    ("held customer rejected", facts(hold_mode="reject"), "reject", "customer_hold"),
    ("hold in review mode reviewed", facts(hold_mode="review"), "review", "customer_hold"),
    ("audit sample reviewed", facts(in_audit_sample=True), "review", "audit_sample"),
]


@pytest.mark.parametrize(
    ("name", "given", "action", "first_code"), CASES, ids=[c[0] for c in CASES]
)
def test_policy_picks_action_and_leading_reason(name, given, action, first_code):
    outcome = policy_decide(given, PEER_COSTS)
    assert outcome.action == action
    assert outcome.reasons[0]["code"] == first_code


def test_ood_return_is_priced_at_the_pessimistic_probability():
    outcome = policy_decide(
        facts(order_value=Decimal("15.00"), ood=True, ood_reasons=UNSEEN), PEER_COSTS
    )
    assert outcome.probability_used == 0.7
    assert outcome.costs["approve"] == Decimal("10.50")
    assert outcome.expected_loss == Decimal("10.50")
    codes = [r["code"] for r in outcome.reasons]
    assert codes == ["ood_unseen_value", "ood_pessimistic", "expected_cost"]


def test_model_probability_above_the_pessimistic_one_is_kept():
    outcome = policy_decide(facts(ood=True, fraud_probability=0.9), PEER_COSTS)
    assert outcome.probability_used == 0.9


REASON_TEXTS = [
    (
        facts(order_value=Decimal("46.00"), fraud_probability=0.4, booked_loss=Decimal("46.20")),
        "budget_exceeded",
        "booked loss $46.20 + $18.40 > budget $50.00",
    ),
    (
        facts(order_value=Decimal("121.00"), fraud_probability=0.1),
        "expected_cost",
        "approve $12.10 < review $50.00 < reject $180.00",
    ),
    (facts(hold_mode="reject"), "customer_hold", "customer is on hold (reject)"),
    (
        facts(order_value=Decimal("2000.00"), ood=True, ood_reasons=UNSEEN, fraud_probability=0.01),
        "ood_pessimistic",
        "model probability 0.010 not trusted out of distribution; priced at 0.70",
    ),
]


@pytest.mark.parametrize(("given", "code", "text"), REASON_TEXTS, ids=[r[1] for r in REASON_TEXTS])
def test_reason_texts_carry_the_numbers(given, code, text):
    reasons = {r["code"]: r["text"] for r in policy_decide(given, PEER_COSTS).reasons}
    assert reasons[code] == text


def test_review_priority_is_what_a_review_saves():
    outcome = policy_decide(facts(order_value=Decimal("400.00"), fraud_probability=0.3), PEER_COSTS)
    # approve 120.00, reject 140.00, review 50.00: a review saves 70.00
    assert outcome.priority == Decimal("70.00")


def test_costs_are_exact_decimals_to_the_cent():
    outcome = policy_decide(
        facts(order_value=Decimal("33.33"), fraud_probability=1 / 3), PEER_COSTS
    )
    assert outcome.costs["approve"] == Decimal("11.11")
    assert all(isinstance(cost, Decimal) for cost in outcome.costs.values())


ANOMALY = [{"code": "ood_anomaly", "text": "anomaly score 9.00 above threshold 8.46"}]


@pytest.mark.parametrize(
    ("gap", "expected"),
    [(0.0, 0.02), (math.log(1000) / 2, 0.36), (math.log(1000), 0.70), (50.0, 0.70)],
    ids=["at-threshold", "half-way", "thousand-times-rarer", "far-out"],
)
def test_distrust_of_an_anomaly_grows_with_its_log_density_gap(gap, expected):
    given = facts(ood=True, ood_reasons=ANOMALY, ood_score=8.46 + gap, ood_threshold=8.46)
    assert policy_decide(given, PEER_COSTS).probability_used == pytest.approx(expected)


def test_unseen_value_is_fully_distrusted_whatever_the_anomaly_score():
    given = facts(ood=True, ood_reasons=UNSEEN, ood_score=0.0, ood_threshold=8.46)
    assert policy_decide(given, PEER_COSTS).probability_used == 0.7


def test_density_flag_distrust_is_scaled_by_the_novelty_share():
    gap = math.log(1000)
    given = facts(ood=True, ood_reasons=ANOMALY, ood_score=8.46 + gap, ood_threshold=8.46)
    assert policy_decide(
        replace(given, ood_novelty_share=0.5), PEER_COSTS
    ).probability_used == pytest.approx(0.36)
    assert policy_decide(replace(given, ood_novelty_share=0.0), PEER_COSTS).probability_used == (
        pytest.approx(0.02)
    )


def test_hard_flags_are_distrusted_whatever_the_novelty_share():
    given = facts(ood=True, ood_reasons=UNSEEN, ood_novelty_share=0.0)
    assert policy_decide(given, PEER_COSTS).probability_used == 0.7


@pytest.mark.parametrize(
    ("flagged", "total", "expected"),
    [(0, 0, 0.0), (20, 1000, 0.0), (10, 1000, 0.0), (100, 1000, 0.8)],
    ids=["no-history", "design-rate", "below-design-rate", "five-times-design-rate"],
)
def test_novelty_share_is_the_flags_beyond_the_design_false_alarm_rate(flagged, total, expected):
    share = ood_novelty_share(flagged=flagged, total=total, false_alarm_rate=0.02, prior_returns=0)
    assert share == pytest.approx(expected)


def test_novelty_share_starts_from_its_prior_returns():
    # Five flags in five returns are not yet a burst when 200 returns at 2% come first.
    share = ood_novelty_share(flagged=5, total=5, false_alarm_rate=0.02, prior_returns=200)
    assert share == pytest.approx(1 - 0.02 / (9 / 205))


HOLDING = replace(PEER_COSTS, hold_velocity=4)
FREQUENT = {
    "order_value": Decimal("25.00"),
    "fraud_probability": 0.7,
    "returns_velocity_30d": 7,
}


def test_approving_a_frequent_returner_is_priced_with_the_budget_it_leaves_open():
    outcome = policy_decide(facts(**FREQUENT), HOLDING)
    # approve 0.7 x (25 + 50 left) = 52.50 > review 50.00 < reject 60.00
    assert outcome.action == "review"
    assert outcome.costs["approve"] == Decimal("52.50")
    assert outcome.expected_loss == Decimal("17.50")
    assert outcome.exposure == Decimal("50.00")
    assert outcome.reasons[0] == {
        "code": "account_exposure",
        "text": "a review ($50.00) can stop this account: approving risks $17.50 now and "
        "$35.00 of budget it still has",
    }
    assert [r["code"] for r in outcome.reasons].count("account_exposure") == 1


@pytest.mark.parametrize(
    ("overrides", "exposure"),
    [
        ({"booked_loss": Decimal("40.00")}, Decimal("10.00")),
        ({"booked_loss": Decimal("60.00")}, Decimal("0.00")),
        ({"returns_velocity_30d": 4, "order_value": Decimal("5.00")}, Decimal("20.00")),
        ({"returns_velocity_30d": 3}, Decimal("0.00")),
        ({"budget": None}, Decimal("0.00")),
    ],
    ids=["budget-left", "budget-spent", "own-pace", "below-hold-velocity", "no-budget"],
)
def test_exposure_is_the_smaller_of_budget_left_and_the_accounts_own_pace(overrides, exposure):
    assert policy_decide(facts(**{**FREQUENT, **overrides}), HOLDING).exposure == exposure


def test_exposure_is_only_priced_when_a_hold_velocity_is_set():
    outcome = policy_decide(facts(**FREQUENT), PEER_COSTS)
    assert (outcome.action, outcome.exposure) == ("approve", Decimal("0.00"))


def test_a_small_exposure_leaves_an_ordinary_approval_alone():
    outcome = policy_decide(facts(**{**FREQUENT, "fraud_probability": 0.02}), HOLDING)
    assert outcome.action == "approve"
    assert outcome.expected_loss == Decimal("0.50")
    codes = [r["code"] for r in outcome.reasons]
    assert codes == ["expected_cost", "account_exposure"]
