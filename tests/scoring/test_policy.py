"""The expected-cost policy, case by case: the action and the reason text for each situation."""

import math
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from scoring.policy import (
    PolicySettings,
    ReturnFacts,
    audit_inclusion_probability,
    capacity_price,
    ood_novelty_share,
    policy_decide,
    portfolio_lambda,
)

PEER_COSTS = PolicySettings(
    false_reject_cost=Decimal("200.00"),
    review_cost=Decimal("50.00"),
    ood_fraud_probability=0.7,
    review_capacity=500,
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
        "budget breach of an account still returning reviewed",
        facts(
            order_value=Decimal("46.00"),
            fraud_probability=0.4,
            booked_loss=Decimal("46.20"),
            returns_velocity_30d=3,
        ),
        "review",
        "budget_exceeded",
    ),
    (
        "budget breach of an account not returning lately approved: a review would not pay",
        facts(order_value=Decimal("46.00"), fraud_probability=0.4, booked_loss=Decimal("46.20")),
        "approve",
        "expected_cost",
    ),
    (
        "budget exactly reached still approved",
        facts(order_value=Decimal("10.00"), fraud_probability=0.5, booked_loss=Decimal("45.00")),
        "approve",
        "expected_cost",
    ),
    (
        "risky approval on a payment method at its budget reviewed",
        facts(fraud_probability=0.3, portfolio_booked=Decimal("1995.00")),
        "review",
        "portfolio_budget_exceeded",
    ),
    (
        "small expected loss on a payment method past its budget still approved",
        facts(
            order_value=Decimal("30.00"),
            fraud_probability=0.02,
            portfolio_booked=Decimal("3000.00"),
        ),
        "approve",
        "expected_cost",
    ),
    (
        "no portfolio budget yet: nothing priced",
        facts(fraud_probability=0.3, portfolio_booked=Decimal("9000.00"), portfolio_budget=None),
        "approve",
        "expected_cost",
    ),
    (
        "a full day's capacity leaves the cheaper of approve and reject",
        facts(order_value=Decimal("400.00"), fraud_probability=0.3, reviews_opened=500),
        "approve",
        "expected_cost",
    ),
    (
        "a full day's capacity: rejecting named when a review was wanted",
        facts(order_value=Decimal("900.00"), fraud_probability=0.4, reviews_opened=500),
        "reject",
        "review_capacity",
    ),
    (
        "a return of a customer with an open case joins it",
        facts(order_value=Decimal("400.00"), fraud_probability=0.3, open_case=True),
        "review",
        "open_case",
    ),
    (
        "a return of a customer with an open case joins it even on a full day",
        facts(fraud_probability=0.3, open_case=True, reviews_opened=500),
        "review",
        "open_case",
    ),
    ("held customer rejected", facts(hold_mode="reject"), "reject", "customer_hold"),
    ("hold in review mode reviewed", facts(hold_mode="review"), "review", "customer_hold"),
    (
        "audit sample reviewed",
        facts(audit_base_rate=0.01, audit_draw=0.005, audits_left=1),
        "review",
        "audit_sample",
    ),
    (
        "audit sample spent for the day",
        facts(audit_base_rate=0.01, audit_draw=0.005, audits_left=0),
        "approve",
        "expected_cost",
    ),
    (
        "audit draw above the return's chance",
        facts(audit_base_rate=0.01, audit_draw=0.5, audits_left=1),
        "approve",
        "expected_cost",
    ),
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
        facts(
            order_value=Decimal("46.00"),
            fraud_probability=0.4,
            booked_loss=Decimal("46.20"),
            returns_velocity_30d=3,
        ),
        "budget_exceeded",
        "account is past its budget ($46.20 + $18.40 > $50.00): approving leaves about $138.00 "
        "of returns open, so approving is priced with $55.20 more; a fraud verdict should hold it",
    ),
    (
        facts(fraud_probability=0.1, portfolio_booked=Decimal("1920.00")),
        "portfolio_budget_exceeded",
        "Credit Card at 96% of today's $2,000.00: approving priced ×1.8",
    ),
    (
        facts(order_value=Decimal("400.00"), fraud_probability=0.3, reviews_opened=450),
        "review_capacity",
        "450 of today's 500 reviews opened: a review priced $100.00",
    ),
    (
        facts(reviews_opened=500),
        "review_capacity",
        "all 500 of today's reviews are opened: the cheaper of approving and rejecting",
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


def test_approving_a_frequent_returner_is_priced_with_the_returns_it_leaves_open():
    outcome = policy_decide(facts(**FREQUENT), HOLDING)
    # approve 0.7 x (25 + 7 x 25) = 140.00 > review 50.00 < reject 60.00
    assert outcome.action == "review"
    assert outcome.costs["approve"] == Decimal("140.00")
    assert outcome.expected_loss == Decimal("17.50")
    assert outcome.exposure == Decimal("175.00")
    assert outcome.reasons[0] == {
        "code": "account_exposure",
        "text": "account returns 7 times in 30 days: approving leaves about $175.00 of returns "
        "open, so approving is priced with $122.50 more; a fraud verdict should hold it",
    }
    assert [r["code"] for r in outcome.reasons].count("account_exposure") == 1


@pytest.mark.parametrize(
    ("overrides", "exposure"),
    [
        ({"booked_loss": Decimal("40.00")}, Decimal("175.00")),
        ({"returns_velocity_30d": 4, "order_value": Decimal("5.00")}, Decimal("20.00")),
        ({"returns_velocity_30d": 3}, Decimal("0.00")),
        ({"returns_velocity_30d": 3, "booked_loss": Decimal("40.00")}, Decimal("75.00")),
        ({"budget": None, "returns_velocity_30d": 3}, Decimal("0.00")),
    ],
    ids=["frequent", "own-pace", "below-hold-velocity", "past-budget", "no-budget"],
)
def test_exposure_is_the_accounts_own_pace_for_frequent_or_over_budget_accounts(
    overrides, exposure
):
    assert policy_decide(facts(**{**FREQUENT, **overrides}), HOLDING).exposure == exposure


def test_exposure_of_a_frequent_returner_is_only_priced_when_a_hold_velocity_is_set():
    outcome = policy_decide(facts(**FREQUENT), PEER_COSTS)
    assert (outcome.action, outcome.exposure) == ("approve", Decimal("0.00"))


def test_a_small_exposure_leaves_an_ordinary_approval_alone():
    outcome = policy_decide(facts(**{**FREQUENT, "fraud_probability": 0.02}), HOLDING)
    assert outcome.action == "approve"
    assert outcome.expected_loss == Decimal("0.50")
    codes = [r["code"] for r in outcome.reasons]
    assert codes == ["expected_cost", "account_exposure"]


@pytest.mark.parametrize(
    ("booked", "budget", "lam"),
    [
        ("0", "2000", "0"),
        ("1600", "2000", "0"),
        ("1920", "2000", "0.8"),
        ("2000", "2000", "1"),
        ("3000", "2000", "3.5"),
        ("0", "0", "100"),
        ("10", None, "0"),
    ],
)
def test_portfolio_lambda_starts_at_the_knee_and_grows_past_the_budget(booked, budget, lam):
    budget = None if budget is None else Decimal(budget)
    assert portfolio_lambda(booked=Decimal(booked), budget=budget) == Decimal(lam)


@pytest.mark.parametrize(
    ("opened", "capacity", "price"),
    [(0, 500, "0.00"), (400, 500, "0.00"), (450, 500, "50.00"), (480, 500, "200.00")],
)
def test_capacity_price_rises_as_the_last_reviews_of_the_day_go(opened, capacity, price):
    assert capacity_price(
        opened=opened, capacity=capacity, review_cost=Decimal("50.00")
    ) == Decimal(price)


def test_a_full_day_has_no_review_price_and_no_capacity_means_unlimited():
    assert capacity_price(opened=500, capacity=500, review_cost=Decimal("50")) is None
    assert capacity_price(opened=0, capacity=0, review_cost=Decimal("50")) is None
    assert capacity_price(opened=10**6, capacity=None, review_cost=Decimal("50")) == 0


@pytest.mark.parametrize(
    ("approve_cost", "chance"),
    [("0.00", 0.01), ("25.00", 0.02), ("45.00", 0.1), ("49.99", 0.1), ("60.00", 0.1)],
    ids=["no-risk", "half-review", "nearly-a-review", "weight-capped", "past-a-review"],
)
def test_audit_chance_favours_returns_cheap_to_check(approve_cost, chance):
    # Checking a return whose approval already costs $45 of expected loss costs only $5 more.
    assert audit_inclusion_probability(
        base_rate=0.01, approve_cost=Decimal(approve_cost), review_cost=Decimal("50.00")
    ) == pytest.approx(chance)


def test_decision_records_the_prices_it_used():
    outcome = policy_decide(
        facts(portfolio_booked=Decimal("1920.00"), reviews_opened=450), PEER_COSTS
    )
    assert outcome.prices == {
        "portfolio_budget": "2000.00",
        "portfolio_lambda": "0.8000",
        "review_price": "100.00",
        "capacity": 500,
        "capacity_used": 450,
        "joins_case": False,
    }


# Properties over many situations: limits are prices, so tightening one can only move a return
# away from approval, and a review is bought only when it is the cheapest action priced.
money_st = st.decimals(min_value=0, max_value=3000, places=2)
situations = st.builds(
    ReturnFacts,
    order_value=st.decimals(min_value=1, max_value=1000, places=2),
    fraud_probability=st.floats(min_value=0, max_value=1),
    ood=st.booleans(),
    ood_reasons=st.sampled_from([[], UNSEEN, ANOMALY]),
    ood_score=st.floats(min_value=0, max_value=50),
    ood_threshold=st.just(8.46),
    returns_velocity_30d=st.integers(min_value=0, max_value=12),
    booked_loss=money_st,
    budget=st.one_of(st.none(), money_st),
    portfolio_booked=money_st,
    portfolio_budget=st.one_of(st.none(), money_st),
    payment_method=st.just("PayPal"),
    audit_base_rate=st.floats(min_value=0, max_value=0.2),
    audit_draw=st.floats(min_value=0, max_value=1, exclude_max=True),
    audits_left=st.integers(min_value=0, max_value=3),
    reviews_opened=st.integers(min_value=0, max_value=100),
    open_case=st.booleans(),
)
settings_st = st.builds(
    PolicySettings,
    false_reject_cost=st.decimals(min_value=0, max_value=400, places=2),
    review_cost=st.decimals(min_value=0, max_value=100, places=2),
    ood_fraud_probability=st.floats(min_value=0, max_value=1),
    hold_velocity=st.one_of(st.none(), st.integers(min_value=1, max_value=8)),
    review_capacity=st.one_of(st.none(), st.integers(min_value=0, max_value=120)),
)
# The policy is a pure function: many examples are cheap, and limits only bite near the edges.
many = hyp_settings(max_examples=1500)


def _scaled(amount: Decimal | None, factor: Decimal) -> Decimal | None:
    return None if amount is None else (amount * factor).quantize(Decimal("0.01"))


@many
@given(situation=situations, settings=settings_st, cut=st.decimals(min_value=0, max_value=1))
def test_a_lower_loss_budget_never_turns_a_review_or_rejection_into_an_approval(
    situation, settings, cut
):
    lower = replace(
        situation,
        budget=None
        if situation.budget is None
        else (situation.budget * cut).quantize(Decimal("0.01")),
        portfolio_budget=None
        if situation.portfolio_budget is None
        else (situation.portfolio_budget * cut).quantize(Decimal("0.01")),
    )
    if policy_decide(situation, settings).action != "approve":
        assert policy_decide(lower, settings).action != "approve"


@many
@given(situation=situations, settings=settings_st, fewer=st.integers(min_value=0, max_value=120))
def test_less_review_capacity_never_opens_a_review_more_capacity_would_not(
    situation, settings, fewer
):
    if settings.review_capacity is None:
        return
    less = replace(settings, review_capacity=max(settings.review_capacity - fewer, 0))
    if policy_decide(situation, less).action == "review":
        assert policy_decide(situation, settings).action == "review"


# A hold in review mode and the audit sample are reviews asked for, not bought on price.
MANDATED_REVIEWS = ("customer_hold", "audit_sample")


@many
@given(situation=situations, settings=settings_st)
def test_a_review_is_bought_only_when_it_is_the_cheapest_action_priced(situation, settings):
    outcome = policy_decide(situation, settings)
    if outcome.action != "review" or outcome.reasons[0]["code"] in (
        "customer_hold",
        "audit_sample",
    ):
        return
    assert outcome.prices["review_price"] is not None
    assert outcome.costs["review"] == Decimal(outcome.prices["review_price"])
    assert outcome.costs["review"] < outcome.costs["approve"]
    assert outcome.costs["review"] <= outcome.costs["reject"]


# A fraud team's rules (scoring.rules) reach the policy as floors and forced actions.
@many
@given(situation=situations, settings=settings_st, floor=st.floats(min_value=0.01, max_value=1))
def test_a_probability_floor_never_lets_through_fraud_that_was_caught(situation, settings, floor):
    before = policy_decide(situation, settings)
    after = policy_decide(replace(situation, probability_floor=floor), settings)
    assert after.probability_used >= max(before.probability_used, floor)
    assert after.costs["approve"] >= before.costs["approve"]
    if before.action != "approve":
        assert after.action != "approve"


def test_a_probability_floor_is_priced_and_named_in_the_reasons():
    rule = {"code": "rule", "rule": "Electronics over $500", "text": "priced at no less than 0.25"}
    outcome = policy_decide(
        facts(order_value=Decimal("600.00"), fraud_probability=0.01, rule_reasons=[rule]),
        PEER_COSTS,
    )
    plain = policy_decide(facts(order_value=Decimal("600.00"), fraud_probability=0.01), PEER_COSTS)
    floored = policy_decide(
        facts(
            order_value=Decimal("600.00"),
            fraud_probability=0.01,
            probability_floor=0.25,
            rule_reasons=[rule],
        ),
        PEER_COSTS,
    )
    assert (plain.action, floored.action) == ("approve", "review")
    assert floored.costs["approve"] == Decimal("150.00")
    assert rule in floored.reasons
    assert rule in outcome.reasons


def test_an_approval_cost_floor_turns_a_cheap_approval_into_the_next_cheapest_action():
    outcome = policy_decide(facts(approve_floor=Decimal("60.00")), PEER_COSTS)
    assert outcome.costs["approve"] == Decimal("60.00")
    assert outcome.action == "review"


@pytest.mark.parametrize("forced", ["approve", "review", "reject"])
def test_a_forced_action_overrides_the_prices_and_its_rule_leads_the_reasons(forced):
    rule = {"code": "rule", "rule": "Team says so", "text": f"{forced} regardless of the prices"}
    outcome = policy_decide(
        facts(
            order_value=Decimal("900.00"),
            fraud_probability=0.5 if forced else 0.02,
            forced_action=forced,
            rule_reasons=[rule],
        ),
        PEER_COSTS,
    )
    assert outcome.action == forced
    assert outcome.reasons[0] == rule


def test_a_hold_outranks_a_forced_approval():
    outcome = policy_decide(facts(hold_mode="reject", forced_action="approve"), PEER_COSTS)
    assert outcome.action == "reject"
