"""The expected-cost policy: the cheapest action for one return, with reasons in words and numbers.

Pure functions of the facts about a return and the policy settings; no database. Workers, the
replay command and the what-if preview all call `policy_decide`, so they cannot drift apart.

Approving a return costs its expected fraud loss. For an account that returns often, approving
also leaves the account open: a review is the only action that can find it out and put it on
hold, so the approve price includes the loss the account could still book before its budget
forces a review anyway (see `account_exposure`).
"""

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from ml.economics import cheapest_action
from scoring.choices import Action
from scoring.constants import CENT

# The OOD gate's threshold is set so that 2% of ordinary returns cross it: a return just past it
# is most likely one of those. Distrust of the model grows with the log-density gap past the
# threshold and is complete once the return is a thousand times less likely than that.
FULL_DISTRUST_GAP = math.log(1000)
# An unseen category or a value outside the training range means the model is extrapolating.
HARD_OOD_CODES = frozenset({"ood_unseen_value", "ood_out_of_range"})
# Reasons that mark a bleeding account: a fraud verdict on such a case should hold the customer.
HOLD_REASON_CODES = frozenset({"budget_exceeded", "account_exposure"})


@dataclass(frozen=True)
class PolicySettings:
    false_reject_cost: Decimal
    review_cost: Decimal
    # Assumed for out-of-distribution returns when higher than the model's own probability.
    ood_fraud_probability: float
    audit_sample_rate: float = 0.0
    # A confirmed fraud from an account returning at least this often in 30 days puts the
    # account on hold; None prices no account exposure.
    hold_velocity: int | None = None


@dataclass(frozen=True)
class ReturnFacts:
    order_value: Decimal
    fraud_probability: float
    ood: bool
    ood_reasons: list = field(default_factory=list)
    ood_score: float = 0.0
    ood_threshold: float = 0.0
    # Of the returns the gate flagged lately, the share beyond its designed false-alarm rate:
    # the chance that a density flag marks something new rather than an ordinary outlier.
    ood_novelty_share: float = 1.0
    returns_velocity_30d: int = 0
    booked_loss: Decimal = Decimal("0.00")
    budget: Decimal | None = None
    portfolio_booked: Decimal = Decimal("0.00")
    portfolio_budget: Decimal | None = None
    payment_method: str = ""
    hold_mode: str | None = None
    in_audit_sample: bool = False


@dataclass(frozen=True)
class PolicyOutcome:
    action: str
    probability_used: float
    costs: dict  # action -> Decimal
    reasons: list  # [{"code", "text"}]
    expected_loss: Decimal  # booked to the ledger when approved
    # Loss an approval leaves open to an account a fraud verdict would hold (priced into
    # approving at probability_used); a reviewer should hold the account on a fraud verdict.
    exposure: Decimal = Decimal("0.00")

    @property
    def priority(self) -> Decimal:
        """What a review saves: the cheaper of approve and reject, minus the review's price."""
        return (
            min(self.costs[Action.APPROVE], self.costs[Action.REJECT]) - self.costs[Action.REVIEW]
        )


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def usd(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def expected_loss_of(probability: float, order_value: Decimal) -> Decimal:
    """The loss an approval books to the ledger: probability times order value."""
    return money(Decimal(repr(probability)) * order_value)


def action_costs(*, probability: float, order_value: Decimal, settings: PolicySettings) -> dict:
    p = Decimal(repr(probability))
    return {
        Action.APPROVE: money(p * order_value),
        Action.REJECT: money((1 - p) * settings.false_reject_cost),
        Action.REVIEW: money(settings.review_cost),
    }


def ood_distrust(facts: ReturnFacts) -> float:
    """How far the model's probability is set aside for the pessimistic one, from 0 to 1.

    A density flag alone is discounted by the novelty share: while the gate flags no more
    returns than its designed false-alarm rate, its flags are mostly ordinary outliers that the
    model priced fairly; when far more are flagged, most flags are something new.
    """
    if not facts.ood:
        return 0.0
    if any(reason["code"] in HARD_OOD_CODES for reason in facts.ood_reasons):
        return 1.0
    gap = facts.ood_score - facts.ood_threshold
    return min(max(gap / FULL_DISTRUST_GAP, 0.0), 1.0) * facts.ood_novelty_share


def ood_novelty_share(
    *, flagged: int, total: int, false_alarm_rate: float, prior_returns: int
) -> float:
    """The chance that a density flag marks a new kind of return rather than a false alarm.

    The gate is set to flag `false_alarm_rate` of ordinary returns. If a share r of recent
    returns was flagged, about false_alarm_rate / r of the flags are those false alarms. The
    recent counts start from `prior_returns` flagged at the designed rate.
    """
    if total + prior_returns == 0:
        return 0.0
    rate = (flagged + false_alarm_rate * prior_returns) / (total + prior_returns)
    if rate <= 0:
        return 0.0
    return min(max(1.0 - false_alarm_rate / rate, 0.0), 1.0)


def account_exposure(facts: ReturnFacts, settings: PolicySettings) -> Decimal:
    """Loss an approval leaves open to an account that a fraud verdict would put on hold.

    If the account is a fraudster, approving lets it go on booking losses until its budget
    forces a review: at most the budget it has left, and at its own pace about `velocity`
    more returns of this size. Reviewing now would end that with a hold. Zero for accounts
    returning less often than the hold rule, or without a budget.
    """
    if (
        settings.hold_velocity is None
        or facts.returns_velocity_30d < settings.hold_velocity
        or facts.budget is None
    ):
        return Decimal("0.00")
    remaining = max(facts.budget - facts.booked_loss, Decimal("0.00"))
    return money(min(remaining, facts.returns_velocity_30d * facts.order_value))


def policy_decide(facts: ReturnFacts, settings: PolicySettings) -> PolicyOutcome:
    reasons = list(facts.ood_reasons)
    probability = facts.fraud_probability
    distrust = ood_distrust(facts)
    if distrust > 0 and settings.ood_fraud_probability > probability:
        probability += distrust * (settings.ood_fraud_probability - probability)
        reasons.append(
            {
                "code": "ood_pessimistic",
                "text": f"model probability {facts.fraud_probability:.3f} "
                f"{'not trusted' if distrust == 1 else f'trusted {1 - distrust:.0%}'} out of "
                f"distribution; priced at {probability:.2f}",
            }
        )
    exposure = account_exposure(facts, settings)
    costs = action_costs(
        probability=probability, order_value=facts.order_value + exposure, settings=settings
    )
    expected_loss = expected_loss_of(probability, facts.order_value)
    ranked = sorted(costs.items(), key=lambda item: item[1])
    reasons.append(
        {
            "code": "expected_cost",
            "text": " < ".join(f"{action} {usd(cost)}" for action, cost in ranked),
        }
    )

    if exposure:
        reasons.append(
            {
                "code": "account_exposure",
                "text": f"account returns {facts.returns_velocity_30d} times in 30 days: "
                f"approving leaves {usd(exposure)} of its budget open, so approving is priced "
                f"{usd(expected_loss)} + {usd(costs[Action.APPROVE] - expected_loss)}; "
                "a fraud verdict should hold it",
            }
        )

    def outcome(action, code=None, text=None):
        if code:
            reasons.insert(0, {"code": code, "text": text})
        return PolicyOutcome(action, probability, costs, reasons, expected_loss, exposure)

    if facts.hold_mode:
        action = Action.REVIEW if facts.hold_mode == "review" else Action.REJECT
        return outcome(action, "customer_hold", f"customer is on hold ({facts.hold_mode})")

    action = cheapest_action({str(k): float(v) for k, v in costs.items()})
    if action == Action.REVIEW and expected_loss <= min(costs[Action.REVIEW], costs[Action.REJECT]):
        # The exposure alone turned an approval into a review: that explanation leads.
        reasons[:] = [reason for reason in reasons if reason["code"] != "account_exposure"]
        return outcome(
            action,
            "account_exposure",
            f"a review ({usd(costs[Action.REVIEW])}) can stop this account: approving risks "
            f"{usd(expected_loss)} now and {usd(costs[Action.APPROVE] - expected_loss)} of "
            "budget it still has",
        )
    if action == Action.REVIEW:
        return outcome(
            action,
            "uncertain",
            f"a review ({usd(costs[Action.REVIEW])}) is cheaper than approving "
            f"({usd(costs[Action.APPROVE])}) or rejecting ({usd(costs[Action.REJECT])})",
        )
    if action == Action.REJECT:
        return outcome(action)

    if facts.budget is not None and facts.booked_loss + expected_loss > facts.budget:
        return outcome(
            Action.REVIEW,
            "budget_exceeded",
            f"booked loss {usd(facts.booked_loss)} + {usd(expected_loss)} > budget "
            f"{usd(facts.budget)}",
        )
    if (
        facts.portfolio_budget is not None
        and facts.portfolio_booked + expected_loss > facts.portfolio_budget
    ):
        return outcome(
            Action.REVIEW,
            "portfolio_budget_exceeded",
            f"{facts.payment_method} booked today {usd(facts.portfolio_booked)} + "
            f"{usd(expected_loss)} > daily budget {usd(facts.portfolio_budget)}",
        )
    if facts.in_audit_sample:
        return outcome(
            Action.REVIEW,
            "audit_sample",
            "picked at random for review so that labels include returns the model trusts",
        )
    return outcome(Action.APPROVE)
