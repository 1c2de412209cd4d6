"""The expected-cost policy: the cheapest action for one return, with reasons in words and numbers.

Pure functions of the facts about a return and the policy settings; no database. Workers, the
replay command and the what-if preview all call `policy_decide`, so they cannot drift apart.

Approving a return costs its expected fraud loss. For an account that returns often, or one past
its loss budget, approving also leaves the account open: a review is the only action that can
find it out and put it on hold, so the approve price includes the loss the account could still
book (see `account_exposure`).

Limits are prices, never triggers. A payment method nearing its daily portfolio budget makes
each dollar of expected loss dearer (`portfolio_lambda`); a day nearing its review capacity
makes a review dearer, and a full day opens none (`capacity_price`). The cheapest action under
the prices in force wins, so no return buys a review worth less than the review costs.
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
# Portfolio pricing: below this share of a payment method's daily budget an approval is priced
# at its expected loss. Past it, each dollar of expected loss costs 1 + λ dollars, λ rising by
# PORTFOLIO_SLOPE per budget booked: at 96% of the budget ×1.8, at 100% ×2, at 150% ×4.5.
PORTFOLIO_KNEE = Decimal("0.8")
PORTFOLIO_SLOPE = Decimal("5")
# A zero budget prices every approval at this λ; it also bounds λ on a runaway day.
PORTFOLIO_MAX_LAMBDA = Decimal("100")
# Review capacity: below this share of the day's capacity a review costs its price. Past it
# the price rises by review_cost × (used − knee) / (1 − used): ×2 at 90%, ×5 at 96%, and a
# full day opens no review at all.
CAPACITY_KNEE = Decimal("0.8")
# An audit review of a would-be approval costs the review less the expected loss it removes;
# the cheaper that is, the likelier the return is sampled, up to this many times the base rate.
AUDIT_MAX_WEIGHT = 10.0


@dataclass(frozen=True)
class PolicySettings:
    false_reject_cost: Decimal
    review_cost: Decimal
    # Assumed for out-of-distribution returns when higher than the model's own probability.
    ood_fraud_probability: float
    # Reviews a day may spend on the audit sample, within the review capacity.
    audit_reviews_per_day: int = 0
    # Reviews a day may open; None is unlimited.
    review_capacity: int | None = None
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
    # The audit sample: a would-be approval is reviewed with probability min(1, base rate ×
    # how cheap it is to check), decided by a stable uniform draw, while the day's audit
    # reviews last (see `audit_inclusion_probability`).
    audit_base_rate: float = 0.0
    audit_draw: float = 1.0
    audits_left: int = 0
    # Review cases opened so far on the decision's day, against PolicySettings.review_capacity.
    reviews_opened: int = 0
    # The customer has a case waiting for a verdict: this return can join it at no extra review.
    open_case: bool = False


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
    # The constraint prices the decision used, enough to reproduce it: the portfolio budget and
    # λ, the review price and the capacity used, whether a review could open at all.
    prices: dict = field(default_factory=dict)
    # A review that joins the customer's open case instead of opening one.
    joins_case: bool = False

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


def hold_recommended(*, reason_codes, customer_had_fraud: bool) -> bool:
    """Whether a fraud verdict should hold the customer: the case came from a bleeding account
    (budget breach or account exposure), or the customer already had a confirmed fraud. A
    one-off fraud by an ordinary customer is rejected without stopping the account."""
    return customer_had_fraud or bool(HOLD_REASON_CODES.intersection(reason_codes))


def budget_breached(facts: ReturnFacts, expected_loss: Decimal) -> bool:
    return facts.budget is not None and facts.booked_loss + expected_loss > facts.budget


def account_exposure(facts: ReturnFacts, settings: PolicySettings, *, breached: bool) -> Decimal:
    """Loss an approval leaves open to an account that a fraud verdict would put on hold.

    If the account is a fraudster, approving lets it go on returning at its own pace, about
    `velocity` more returns of this size in 30 days; reviewing now would end that with a hold.
    That counts for an account returning at least as often as the hold rule, and for any
    account already past its loss budget (its bookings say it may be bleeding). A lower budget
    can only add exposure, never remove it.
    """
    frequent = (
        settings.hold_velocity is not None and facts.returns_velocity_30d >= settings.hold_velocity
    )
    if not (frequent or breached):
        return Decimal("0.00")
    return money(facts.returns_velocity_30d * facts.order_value)


def portfolio_lambda(*, booked: Decimal, budget: Decimal | None) -> Decimal:
    """The price of one more dollar of expected loss on a payment method today, over one dollar.

    Zero below PORTFOLIO_KNEE of the budget, then PORTFOLIO_SLOPE per budget booked past it.
    """
    if budget is None:
        return Decimal("0")
    if budget <= 0:
        return PORTFOLIO_MAX_LAMBDA
    used = booked / budget
    return min(max((used - PORTFOLIO_KNEE) * PORTFOLIO_SLOPE, Decimal("0")), PORTFOLIO_MAX_LAMBDA)


def capacity_price(*, opened: int, capacity: int | None, review_cost: Decimal) -> Decimal | None:
    """What opening one more review today costs beyond the review itself; None when the day is
    full. Zero below CAPACITY_KNEE of capacity, then rising steeply as the last slots go."""
    if capacity is None:
        return Decimal("0.00")
    if opened >= capacity:
        return None
    used = Decimal(opened) / Decimal(capacity)
    if used <= CAPACITY_KNEE:
        return Decimal("0.00")
    return money(review_cost * (used - CAPACITY_KNEE) / (1 - used))


def audit_inclusion_probability(
    *, base_rate: float, approve_cost: Decimal, review_cost: Decimal
) -> float:
    """The chance a would-be approval joins the audit sample: the base rate times how cheap it
    is to check, review_cost / (review_cost − approve_cost), between 1 and AUDIT_MAX_WEIGHT.

    The probability is recorded on the decision, so labels from the sample are weighted by its
    inverse wherever they stand for all approvals.
    """
    if base_rate <= 0:
        return 0.0
    net = float(review_cost - approve_cost)
    weight = AUDIT_MAX_WEIGHT if net <= 0 else float(review_cost) / net
    return min(base_rate * min(max(weight, 1.0), AUDIT_MAX_WEIGHT), 1.0)


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
    p = Decimal(repr(probability))
    expected_loss = expected_loss_of(probability, facts.order_value)
    breached = budget_breached(facts, expected_loss)
    exposure = account_exposure(facts, settings, breached=breached)
    lam = portfolio_lambda(booked=facts.portfolio_booked, budget=facts.portfolio_budget)
    if facts.open_case:
        extra = Decimal("0.00")  # the open case's one review decides this return too
    else:
        extra = capacity_price(
            opened=facts.reviews_opened,
            capacity=settings.review_capacity,
            review_cost=settings.review_cost,
        )
    review_open = extra is not None
    costs = {
        Action.APPROVE: money(p * facts.order_value * (1 + lam) + p * exposure),
        Action.REJECT: money((1 - p) * settings.false_reject_cost),
        Action.REVIEW: Decimal("0.00")
        if facts.open_case
        else money(settings.review_cost + (extra or 0)),
    }
    prices = {
        "portfolio_budget": None if facts.portfolio_budget is None else str(facts.portfolio_budget),
        "portfolio_lambda": str(lam.quantize(Decimal("0.0001"))),
        "review_price": str(costs[Action.REVIEW]) if review_open else None,
        "capacity": settings.review_capacity,
        "capacity_used": facts.reviews_opened,
        "joins_case": facts.open_case,
    }
    available = {a: c for a, c in costs.items() if a != Action.REVIEW or review_open}
    ranked = sorted(available.items(), key=lambda item: item[1])
    reasons.append(
        {
            "code": "expected_cost",
            "text": " < ".join(f"{action} {usd(cost)}" for action, cost in ranked),
        }
    )
    if exposure:
        why = (
            f"account is past its budget ({usd(facts.booked_loss)} + {usd(expected_loss)} > "
            f"{usd(facts.budget)})"
            if breached
            else f"account returns {facts.returns_velocity_30d} times in 30 days"
        )
        reasons.append(
            {
                "code": "budget_exceeded" if breached else "account_exposure",
                "text": f"{why}: approving leaves about {usd(exposure)} of returns open, so "
                f"approving is priced with {usd(money(p * exposure))} more; a fraud verdict "
                "should hold it",
            }
        )
    if lam > 0:
        where = (
            f"at {facts.portfolio_booked / facts.portfolio_budget:.0%} of today's "
            f"{usd(facts.portfolio_budget)}"
            if facts.portfolio_budget
            else "with a zero portfolio budget"
        )
        reasons.append(
            {
                "code": "portfolio_budget_exceeded",
                "text": f"{facts.payment_method} {where}: approving priced ×{1 + lam:.1f}",
            }
        )
    if extra:
        reasons.append(
            {
                "code": "review_capacity",
                "text": f"{facts.reviews_opened} of today's {settings.review_capacity} reviews "
                f"opened: a review priced {usd(costs[Action.REVIEW])}",
            }
        )
    elif not review_open:
        reasons.append(
            {
                "code": "review_capacity",
                "text": f"all {settings.review_capacity} of today's reviews are opened: "
                "the cheaper of approving and rejecting",
            }
        )

    def outcome(action, code=None, text=None):
        if code:
            leading = [r for r in reasons if r["code"] == code]
            reasons[:] = [r for r in reasons if r["code"] != code]
            reasons.insert(
                0, leading[0] if leading and text is None else {"code": code, "text": text}
            )
        return PolicyOutcome(
            action,
            probability,
            costs,
            reasons,
            expected_loss,
            exposure,
            prices,
            joins_case=action == Action.REVIEW and facts.open_case,
        )

    if facts.hold_mode:
        action = Action.REVIEW if facts.hold_mode == "review" else Action.REJECT
        return outcome(action, "customer_hold", f"customer is on hold ({facts.hold_mode})")

    action = cheapest_action({str(k): float(v) for k, v in available.items()})
    if action == Action.REVIEW and facts.open_case:
        return outcome(
            action,
            "open_case",
            "the customer's open case decides this return too: it waits for that verdict "
            "at no extra review",
        )
    if action != Action.APPROVE:
        # Name the price that moved the decision off approving, if one did.
        plain = money(p * facts.order_value)
        with_exposure = money(plain + p * exposure)
        if plain <= min(available.values()):
            if with_exposure > costs[action]:
                return outcome(action, "budget_exceeded" if breached else "account_exposure")
            if lam > 0:
                return outcome(action, "portfolio_budget_exceeded")
    if action == Action.REVIEW:
        return outcome(
            action,
            "uncertain",
            f"a review ({usd(costs[Action.REVIEW])}) is cheaper than approving "
            f"({usd(costs[Action.APPROVE])}) or rejecting ({usd(costs[Action.REJECT])})",
        )
    if action == Action.REJECT:
        if not review_open and costs[Action.REVIEW] < costs[Action.REJECT]:
            return outcome(action, "review_capacity")
        return outcome(action)
    if facts.audits_left > 0 and review_open and not facts.open_case:
        chance = audit_inclusion_probability(
            base_rate=facts.audit_base_rate,
            approve_cost=costs[Action.APPROVE],
            review_cost=costs[Action.REVIEW],
        )
        prices.update(
            audit_probability=round(chance, 6),
            audit_base_rate=round(facts.audit_base_rate, 6),
            audits_left=facts.audits_left,
        )
        if facts.audit_draw < chance:
            return outcome(
                Action.REVIEW,
                "audit_sample",
                f"picked for the audit sample (chance {chance:.2%}) so that labels include "
                "returns the model trusts",
            )
    return outcome(Action.APPROVE)
